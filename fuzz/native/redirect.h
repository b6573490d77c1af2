/* Included after fake.c and before native/io's sources: their system calls go to the fake kernel. */
#define socket fz_socket
#define setsockopt fz_setsockopt
#define bind fz_bind
#define listen fz_listen
#define getsockname fz_getsockname
#define shutdown fz_shutdown
#define close fz_close
#define epoll_create1 fz_epoll_create1
#define epoll_ctl fz_epoll_ctl
#define epoll_wait fz_epoll_wait
#define accept4 fz_accept4
#define read fz_read
#define send fz_send
#define recvmmsg fz_recvmmsg
#define sendmmsg fz_sendmmsg
