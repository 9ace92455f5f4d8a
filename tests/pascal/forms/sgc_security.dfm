object ServerModule: TServerModule
  OldCreateOrder = False
  Height = 300
  Width = 400
  object WSServer: TsgcWebSocketServer
    Port = 5415
    OnError = WSServerError
    OnConnect = WSServerConnect
    Authentication.Enabled = True
    Authentication.AllowNonAuth = False
    Authentication.AuthUsers.Strings = (
      'user=1234')
    Authentication.URL.Enabled = False
    Authentication.Session.Enabled = False
    Authentication.Basic.Enabled = True
    Authentication.JWT.JWT = sgcHTTP_JWT_Server1
    Authentication.OAuth.OAuth2 = sgcHTTP_OAuth2_Server1
    Authentication.WebAuthn.WebAuthn = sgcWSAPIServer_WebAuthn1
    Bindings = <>
    Firewall = sgcWebSocketFirewall1
    RateLimiter = sgcWSRateLimiter1
    APIKeyManager = sgcWSAPIKeyManager1
    Optimizations.Connections.Enabled = True
    Optimizations.Connections.CacheSize = 100
    Optimizations.Connections.GroupLevel = 2
    Optimizations.Channels.Enabled = True
    Optimizations.ConnectionsFree.Enabled = True
    Optimizations.ConnectionsFree.Interval = 60
    OnUnknownAuthentication = WSServerUnknownAuthentication
    OnSSLALPNSelect = WSServerSSLALPNSelect
    OnSSLVerifyPeer = WSServerSSLVerifyPeer
    OnHTTPUploadBeforeSaveFile = WSServerHTTPUploadBeforeSaveFile
    OnHTTPUploadAfterSaveFile = WSServerHTTPUploadAfterSaveFile
    OnLoadBalancerError = WSServerLoadBalancerError
    NotifyEvents = neNoSync
  end
  object sgcWebSocketFirewall1: TsgcWebSocketFirewall
    Enabled = True
    Blacklist.Enabled = True
    Blacklist.IPs.Strings = (
      '10.0.0.1'
      '192.168.1.0/24')
    Whitelist.Enabled = False
    BruteForce.Enabled = True
    BruteForce.MaxAttempts = 5
    BruteForce.TimeWindowSec = 60
    BruteForce.BanDurationSec = 300
    SQLInjection.Enabled = True
    SQLInjection.Action = faDeny
    XSS.Enabled = True
    XSS.Action = faLog
    RateLimit.Enabled = True
    RateLimit.MaxConnectionsPerIP = 10
    RateLimit.TimeWindowSec = 1
    FloodProtection.Enabled = True
    FloodProtection.MaxMessagesPerSec = 100
    PayloadLimit.Enabled = True
    PayloadLimit.MaxSizeBytes = 65536
    PathTraversal.Enabled = True
    CommandInjection.Enabled = True
    ThreatScore.Enabled = True
    ThreatScore.AutoBanThreshold = 100
    ThreatScore.WeightSQLInjection = 40
    BanEscalation.Enabled = True
    BanEscalation.Levels.Strings = (
      '60'
      '3600')
    GeoIP.Enabled = True
    GeoIP.Mode = gmAllowList
    GeoIP.Countries.Strings = (
      'ES')
    GeoIP.DatabaseFile = 'geo.csv'
    WebSocketProtection.Enabled = True
    WebSocketProtection.AllowedOrigins.Strings = (
      'https://example.com')
    WebSocketProtection.MaxFrameSize = 1048576
    CustomRules.Enabled = True
    CustomRules.Rules = <>
    BotDetection.Enabled = True
    BotDetection.Datacenter.Enabled = True
    BotDetection.ReverseDNS.Enabled = True
    BotDetection.DNSBL.Zones.Strings = (
      'zen.spamhaus.org')
    BotDetection.DNSTimeoutMS = 2000
    OnFiltered = FirewallFiltered
    OnResolveCountry = FirewallResolveCountry
    OnThreatScoreChanged = FirewallThreatScoreChanged
  end
  object sgcWSRateLimiter1: TsgcWSRateLimiter
    Enabled = True
    StorageFile = 'limits.dat'
    TokenBucket.Enabled = True
    TokenBucket.Capacity = 20
    TokenBucket.RefillRate = 5
    TokenBucket.RefillIntervalMs = 1000
    SlidingWindow.WindowSec = 60
    FixedWindow.MaxRequests = 100
    PerIP.Enabled = True
    PerIP.MaxRequests = 10
    PerIP.WindowSec = 1
    PerIP.Strategy = rlsSliding
    PerAPIKey.Strategy = rlsFixed
    PerEndpoint.Rules = <>
    Quotas.Quotas = <>
    BurstProtection.Enabled = True
    BurstProtection.BurstThreshold = 50
    Response.StatusCode = 429
    Response.Message = 'Too Many Requests'
    Response.RetryAfterHeader = True
    OnThrottled = RateLimiterThrottled
  end
  object sgcWSAPIKeyManager1: TsgcWSAPIKeyManager
    Enabled = True
    Generation.Enabled = True
    Generation.KeyPrefix = 'sk_'
    Generation.KeyLength = 32
    Storage.StorageType = kstFile
    Storage.FileName = 'keys.dat'
    Hashing.Algorithm = khaSHA512
    Scopes.Scopes = <>
    Rotation.GracePeriodSec = 3600
    Expiration.EnforceExpiry = True
    RateLimit.DefaultMaxRequests = 1000
    Audit.Enabled = True
    Validation.HeaderName = 'X-API-Key'
    Validation.IPAllowlist.Strings = (
      '127.0.0.1')
    Validation.FailClosed = True
    OnValidation = APIKeyValidation
  end
  object sgcHTTP_JWT_Server1: TsgcHTTP_JWT_Server
  end
  object sgcHTTP_OAuth2_Server1: TsgcHTTP_OAuth2_Server
  end
  object sgcWSAPIServer_WebAuthn1: TsgcWSAPIServer_WebAuthn
  end
end
