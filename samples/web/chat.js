// The chat page's client: one WebSocket to /chat on the host that served
// the page. Every message is JSON {"name": ..., "text": ...}; the server
// sends each one to every connected page, the sender's included, so every
// log shows the same messages in the same order. Text is shown with
// textContent, never as HTML.
(function () {
  'use strict';
  var log = document.getElementById('log');
  var statusEl = document.getElementById('status');
  var form = document.getElementById('send');
  var nameEl = document.getElementById('name');
  var textEl = document.getElementById('text');
  var button = document.getElementById('go');
  var socket = null;
  var retry = 500;

  function setStatus(state, label) {
    statusEl.className = 'status ' + state;
    statusEl.textContent = label;
    button.disabled = state !== 'open';
  }

  function append(cls, who, text) {
    var li = document.createElement('li');
    li.className = cls;
    if (who !== null) {
      var w = document.createElement('span');
      w.className = 'who';
      w.textContent = who + ':';
      li.appendChild(w);
    }
    var t = document.createElement('span');
    t.className = 'text';
    t.textContent = text;
    li.appendChild(t);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat';
    socket = new WebSocket(url);
    setStatus('connecting', 'connecting…');
    socket.onopen = function () {
      retry = 500;
      setStatus('open', 'connected');
    };
    socket.onmessage = function (event) {
      var m;
      try {
        m = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (m && typeof m.notice === 'string') {
        append('notice', null, m.notice);
      } else if (m && typeof m.name === 'string' && typeof m.text === 'string') {
        append('message', m.name, m.text);
      }
    };
    socket.onclose = function () {
      setStatus('closed', 'disconnected — retrying');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = textEl.value.trim();
    var name = nameEl.value.trim() || 'anonymous';
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ name: name, text: text }));
    textEl.value = '';
    textEl.focus();
  });

  connect();
})();
