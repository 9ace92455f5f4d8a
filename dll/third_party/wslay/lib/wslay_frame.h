/*
 * Wslay - The WebSocket Library
 *
 * Copyright (c) 2011, 2012 Tatsuhiro Tsujikawa
 *
 * Permission is hereby granted, free of charge, to any person obtaining
 * a copy of this software and associated documentation files (the
 * "Software"), to deal in the Software without restriction, including
 * without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to
 * permit persons to whom the Software is furnished to do so, subject to
 * the following conditions:
 *
 * The above copyright notice and this permission notice shall be
 * included in all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
 * EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 * MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 * NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
 * LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
 * OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
 * WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
#ifndef WSLAY_FRAME_H
#define WSLAY_FRAME_H

#ifdef HAVE_CONFIG_H
#  include <config.h>
#endif /* HAVE_CONFIG_H */

#include <wslay/wslay.h>

enum wslay_frame_state {
  PREP_HEADER,
  PREP_HEADER_NOBUF,
  SEND_HEADER,
  SEND_PAYLOAD,
  RECV_HEADER1,
  RECV_PAYLOADLEN,
  RECV_EXT_PAYLOADLEN,
  RECV_MASKKEY,
  RECV_PAYLOAD
};

struct wslay_frame_opcode_memo {
  uint8_t fin;
  uint8_t opcode;
  uint8_t rsv;
};

struct wslay_frame_context {
  uint8_t ibuf[4096];
  /* The bytes being parsed: [ibufmark, ibuflimit) lies in ibuf, or in the
     caller's buffer while ibufborrowed (wslay_frame_recv_buffer_begin) */
  uint8_t *ibufmark;
  uint8_t *ibuflimit;
  /* The caller's bytes not yet parsed (wslay_frame_recv_buffer_begin) */
  uint8_t *xbufmark;
  uint8_t *xbuflimit;
  uint8_t xbufactive;
  uint8_t ibufborrowed;
  struct wslay_frame_opcode_memo iom;
  uint64_t ipayloadlen;
  uint64_t ipayloadoff;
  uint8_t imask;
  /* the masking key three times over: the key rotated to any payload
     offset is the 8 bytes at imaskkey + offset % 4 */
  uint8_t imaskkey[12];
  enum wslay_frame_state istate;
  size_t ireqread;

  uint8_t oheader[14];
  uint8_t *oheadermark;
  uint8_t *oheaderlimit;
  uint64_t opayloadlen;
  uint64_t opayloadoff;
  uint8_t omask;
  uint8_t omaskkey[4];
  enum wslay_frame_state ostate;

  struct wslay_frame_callbacks callbacks;
  void *user_data;
};

/*
 * Makes wslay_frame_recv() parse the len bytes at data, the caller's,
 * instead of calling recv_callback: headers and payload are read where
 * they lie, the payload unmasked in place, and iocb->data points into
 * data. Only a header cut by the end of data is copied (into ibuf), to
 * be completed from the next buffer. Bytes already in ibuf are parsed
 * first. Until wslay_frame_recv_buffer_end(), wslay_frame_recv() returns
 * WSLAY_ERR_WANT_READ once data is used up.
 */
void wslay_frame_recv_buffer_begin(wslay_frame_context_ptr ctx, uint8_t *data,
                                   size_t len);

/*
 * Ends what wslay_frame_recv_buffer_begin() began: no pointer into the
 * caller's buffer is kept. Once wslay_frame_recv() has returned
 * WSLAY_ERR_WANT_READ, all of it was parsed or kept; bytes left when the
 * caller stopped calling wslay_frame_recv() earlier are dropped.
 */
void wslay_frame_recv_buffer_end(wslay_frame_context_ptr ctx);

#endif /* WSLAY_FRAME_H */
