/* test_cert.h - a fixed self-signed P-256 test certificate (CN=localhost,
 * valid 100 years) and its key, for the TLS fuzz target only. Never use it
 * anywhere else: the key is public. */
#ifndef IWS_FUZZ_TEST_CERT_H
#define IWS_FUZZ_TEST_CERT_H
static const char fuzz_cert_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBfjCCASWgAwIBAgIUXZEzl/3YxSNdfTqLheey5/YDwuUwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMTE4MTExNFoYDzIxMjYxMTA3\n"
  "MTgxMTE0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAR7u5Y6byrUy8qzbiSMzjlliPke7jwGdoTeQPcZz4Gg1yqWTVOwkJ+b\n"
  "HCWUaGwlPTeodrHRDduL2UojdU1Pq3lJo1MwUTAdBgNVHQ4EFgQUG0xFhoEHCSXv\n"
  "q2B/1Cgtm98N15UwHwYDVR0jBBgwFoAUG0xFhoEHCSXvq2B/1Cgtm98N15UwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAJZ1vEMhp6DTue0ayyFrJT\n"
  "LCn64FhjpAtUPTVnA1F8RQIgBYQqqDFJZABGeM7/XCCdqNx81wCYGP95/RL4tXMj\n"
  "0pY=\n"
  "-----END CERTIFICATE-----\n";
static const char fuzz_key_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/HVexLG2pApaKtjV\n"
  "5fgh3kpHuArp1RoJvYYlBWqPFwyhRANCAAR7u5Y6byrUy8qzbiSMzjlliPke7jwG\n"
  "doTeQPcZz4Gg1yqWTVOwkJ+bHCWUaGwlPTeodrHRDduL2UojdU1Pq3lJ\n"
  "-----END PRIVATE KEY-----\n";
#endif
