/*
 * sockaddr.h - socket-address helpers both back ends share: parsing the bind
 * address and formatting a peer's. The BSD socket-address API is the same
 * on POSIX and Winsock; only the headers differ.
 */
#ifndef IWS_SOCKADDR_H
#define IWS_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>

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

/* The address as text (IPv4-mapped IPv6 shown as IPv4) and its port. */
void iws__sockaddr_format(const struct sockaddr *sa, char *ip, size_t iplen,
                          uint32_t *port);

/* The port of a bound address. */
uint32_t iws__sockaddr_port(const struct sockaddr_storage *ss);

#endif /* IWS_SOCKADDR_H */
