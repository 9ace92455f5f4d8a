/*
 * sockaddr.h - socket-address helpers both back ends share: parsing the bind
 * address and keeping an accepted socket's (iws__addr, backend.h). The BSD socket-address API is the same
 * on POSIX and Winsock; only the headers differ.
 */
#ifndef IWS_SOCKADDR_H
#define IWS_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

/* Fills *ss from an IPv4 or IPv6 literal and a port; *len receives the
 * address size. Returns IWS_OK, or IWS_E_ADDRESS with a sentence in err. */
int iws__sockaddr_parse(const char *address, uint32_t port,
                        struct sockaddr_storage *ss, int *len, char *err,
                        size_t errlen);

/* The address and port kept compactly (IPv4-mapped IPv6 kept as IPv4);
 * family IWS__ADDR_NONE for a family other than IPv4 and IPv6, or NULL. */
void iws__sockaddr_to_addr(const struct sockaddr *sa, iws__addr *out);

/* The port of a bound address. */
uint32_t iws__sockaddr_port(const struct sockaddr_storage *ss);

#endif /* IWS_SOCKADDR_H */
