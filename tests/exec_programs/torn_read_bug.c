/* torn_read_bug.c — a reader that sees two fields from different writes:
 * the writer moves a service to a new host and port in one locked section;
 * the reader asks for the host and for the port through two getters, each
 * locked on its own:
 *
 *   reader: host = get_host()   (host 3)
 *   writer: lock; host = 4; port = 8041; unlock
 *   reader: port = get_port()   (port 8041: host 3's port is 8031)
 *
 * Each thread makes a few moves or lookups and is done long before the other
 * starts, so they rarely meet. The fix, torn_read_fixed.c, reads both fields
 * in one locked section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define MOVES 20

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    long host;
    long port; /* always 8000 + 10 * host + 1 */
} service = {0, 8001};
static long hosts_seen; /* by the client */

static long get_host(void)
{
    pthread_mutex_lock(&lock);
    long h = service.host;
    pthread_mutex_unlock(&lock);
    return h;
}

static long get_port(void)
{
    pthread_mutex_lock(&lock);
    long p = service.port;
    pthread_mutex_unlock(&lock);
    return p;
}

static void *mover(void *arg)
{
    (void)arg;
    for (long h = 1; h <= MOVES; h++) {
        pthread_mutex_lock(&lock);
        service.host = h;
        service.port = 8000 + 10 * h + 1;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void *client(void *arg)
{
    (void)arg;
    long seen = 0;
    for (int i = 0; i < MOVES; i++) {
        long host = get_host(); /* BUG: host and port from two sections */
        long port = get_port();
        assert(port == 8000 + 10 * host + 1);
        seen += host;
    }
    hosts_seen = seen;
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, mover, NULL);
    pthread_create(&t2, NULL, client, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("service at host %ld port %ld; the client saw %ld\n", service.host, service.port,
           hosts_seen);
    return 0;
}
