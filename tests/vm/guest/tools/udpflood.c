// udpflood PORT SECONDS SIZE: sends SIZE-byte UDP datagrams to 127.0.0.1:PORT as fast as it
// can for SECONDS and prints "<sent> <failed>". Guest-side load for the qdisc probe test
// (busybox has no UDP sender that keeps a device's transmit path busy). Built static by
// tests/vm/vmtest.sh into the initramfs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udpflood PORT SECONDS SIZE\n");
    return 2;
  }
  int port = atoi(argv[1]);
  double secs = atof(argv[2]);
  size_t size = (size_t)atoi(argv[3]);
  static char buf[65000];
  if (port <= 0 || port > 65535 || secs <= 0 || size > sizeof(buf)) {
    fprintf(stderr, "udpflood: bad arguments\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((unsigned short)port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned long sent = 0, failed = 0;
  double end = now_s() + secs;
  while (now_s() < end) {
    for (int i = 0; i < 64; i++) {
      if (sendto(fd, buf, size, 0, (struct sockaddr*)&to, sizeof(to)) < 0) {
        failed++;
      } else {
        sent++;
      }
    }
  }
  printf("%lu %lu\n", sent, failed);
  close(fd);
  return sent > 0 ? 0 : 1;
}
