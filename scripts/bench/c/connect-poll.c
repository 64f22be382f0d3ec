/*
 * The C reference for connect time (bench W5): N libmosquitto clients on one poll() loop, at most
 * WINDOW connection attempts between connect and CONNACK at a time, each subscribing to its own
 * topic after its CONNACK. Prints one JSON line: milliseconds from the first connect until all N
 * were connected and subscribed (what mqtt-fleet's connectMs measures), and the CPU time used.
 *
 *   cc -O2 -o connect-poll connect-poll.c -lmosquitto
 *   ./connect-poll HOST PORT CLIENTS WINDOW
 *
 * Bounded: gives up after 120 s and reports how many got through.
 */
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_MS 120000.0

enum phase { IDLE, CONNECTING, SUBSCRIBING, DONE, FAILED };

struct client {
	struct mosquitto *mosq;
	enum phase phase;
	int index;
};

static int in_flight;
static int subscribed;
static int failed;

static double ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_connect(struct mosquitto *mosq, void *data, int rc)
{
	struct client *c = data;
	char topic[64];
	if (c->phase != CONNECTING)
		return;
	in_flight--;
	if (rc != 0) {
		c->phase = FAILED;
		failed++;
		return;
	}
	c->phase = SUBSCRIBING;
	snprintf(topic, sizeof topic, "cpoll/%d/%d", (int)getpid(), c->index);
	if (mosquitto_subscribe(mosq, NULL, topic, 0) != MOSQ_ERR_SUCCESS) {
		c->phase = FAILED;
		failed++;
	}
}

static void on_subscribe(struct mosquitto *mosq, void *data, int mid, int count, const int *granted)
{
	struct client *c = data;
	(void)mosq, (void)mid, (void)count, (void)granted;
	if (c->phase != SUBSCRIBING)
		return;
	c->phase = DONE;
	subscribed++;
}

static void on_disconnect(struct mosquitto *mosq, void *data, int rc)
{
	struct client *c = data;
	(void)mosq, (void)rc;
	if (c->phase == CONNECTING)
		in_flight--;
	if (c->phase == CONNECTING || c->phase == SUBSCRIBING) {
		c->phase = FAILED;
		failed++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s HOST PORT CLIENTS WINDOW\n", argv[0]);
		return 2;
	}
	const char *host = argv[1];
	int port = atoi(argv[2]);
	int n = atoi(argv[3]);
	int window = atoi(argv[4]);
	if (port <= 0 || n <= 0 || window <= 0) {
		fprintf(stderr, "PORT, CLIENTS and WINDOW must be positive\n");
		return 2;
	}
	mosquitto_lib_init();
	struct client *clients = calloc(n, sizeof *clients);
	struct pollfd *fds = calloc(n, sizeof *fds);
	int *which = calloc(n, sizeof *which);
	if (!clients || !fds || !which)
		return 1;
	for (int i = 0; i < n; i++) {
		char id[64];
		snprintf(id, sizeof id, "cpoll-%d-%d", (int)getpid(), i);
		clients[i].index = i;
		clients[i].mosq = mosquitto_new(id, true, &clients[i]);
		if (!clients[i].mosq) {
			fprintf(stderr, "mosquitto_new failed at client %d\n", i);
			return 1;
		}
		mosquitto_connect_callback_set(clients[i].mosq, on_connect);
		mosquitto_subscribe_callback_set(clients[i].mosq, on_subscribe);
		mosquitto_disconnect_callback_set(clients[i].mosq, on_disconnect);
	}

	double cpu0 = cpu_ms();
	double t0 = ms_now();
	int next = 0;
	double elapsed = 0;
	while (subscribed + failed < n && (elapsed = ms_now() - t0) < LIMIT_MS) {
		while (next < n && in_flight < window) {
			struct client *c = &clients[next++];
			c->phase = CONNECTING;
			in_flight++;
			int rc = mosquitto_connect_async(c->mosq, host, port, 60);
			if (rc != MOSQ_ERR_SUCCESS) {
				in_flight--;
				c->phase = FAILED;
				failed++;
			}
		}
		int nfds = 0;
		for (int i = 0; i < next; i++) {
			if (clients[i].phase != CONNECTING && clients[i].phase != SUBSCRIBING)
				continue;
			int fd = mosquitto_socket(clients[i].mosq);
			if (fd < 0)
				continue;
			fds[nfds].fd = fd;
			fds[nfds].events = POLLIN | (mosquitto_want_write(clients[i].mosq) ? POLLOUT : 0);
			fds[nfds].revents = 0;
			which[nfds++] = i;
		}
		if (poll(fds, nfds, 100) < 0 && errno != EINTR) {
			perror("poll");
			return 1;
		}
		for (int k = 0; k < nfds; k++) {
			struct mosquitto *mosq = clients[which[k]].mosq;
			if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
				mosquitto_loop_read(mosq, 1);
			if (fds[k].revents & POLLOUT)
				mosquitto_loop_write(mosq, 1);
			mosquitto_loop_misc(mosq);
		}
	}
	double connect_ms = ms_now() - t0;
	double used = cpu_ms() - cpu0;

	for (int i = 0; i < n; i++) {
		if (clients[i].phase == DONE)
			mosquitto_disconnect(clients[i].mosq);
		mosquitto_destroy(clients[i].mosq);
	}
	mosquitto_lib_cleanup();
	printf("{\"type\":\"c-connect\",\"clients\":%d,\"window\":%d,\"subscribed\":%d,\"failed\":%d,"
	       "\"connectMs\":%.0f,\"cpuMs\":%.0f,\"timedOut\":%s}\n",
	       n, window, subscribed, failed, connect_ms, used, elapsed >= LIMIT_MS ? "true" : "false");
	return subscribed == n ? 0 : 1;
}
