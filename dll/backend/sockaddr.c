/* sockaddr.c - see sockaddr.h. */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#else
#define _GNU_SOURCE
#include <arpa/inet.h>
#endif
#include "sockaddr.h"

#include <stdio.h>
#include <string.h>

#include "iocpws.h"

int iws__sockaddr_parse(const char *address, uint32_t port,
                        struct sockaddr_storage *ss, int *len, char *err,
                        size_t errlen) {
  memset(ss, 0, sizeof(*ss));
  if (strchr(address, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &a->sin6_addr) != 1) {
      snprintf(err, errlen, "bind address '%s' is not an IPv6 address",
               address);
      return IWS_E_ADDRESS;
    }
    *len = (int)sizeof(*a);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &a->sin_addr) != 1) {
      snprintf(err, errlen, "bind address '%s' is not an IPv4 address",
               address);
      return IWS_E_ADDRESS;
    }
    *len = (int)sizeof(*a);
  }
  return IWS_OK;
}

void iws__sockaddr_to_addr(const struct sockaddr *sa, iws__addr *out) {
  memset(out, 0, sizeof(*out));
  if (!sa) return;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    out->family = IWS__ADDR_V4;
    memcpy(out->ip, &a->sin_addr, 4);
    out->port = ntohs(a->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      out->family = IWS__ADDR_V4;
      memcpy(out->ip, &a->sin6_addr.s6_addr[12], 4);
    } else {
      out->family = IWS__ADDR_V6;
      memcpy(out->ip, &a->sin6_addr, 16);
    }
    out->port = ntohs(a->sin6_port);
  }
}

const char *iws__addr_text(const iws__addr *a, char *ip, size_t iplen) {
  if (!iplen) return ip;
  ip[0] = '\0';
  /* (void *): older Windows SDKs declare inet_ntop's address non-const. */
  if (a->family == IWS__ADDR_V4 || a->family == IWS__ADDR_V6) {
    if (!inet_ntop(a->family == IWS__ADDR_V4 ? AF_INET : AF_INET6,
                   (void *)a->ip, ip, iplen))
      ip[0] = '\0';
  }
  return ip;
}

uint32_t iws__sockaddr_port(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET6
             ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
             : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}
