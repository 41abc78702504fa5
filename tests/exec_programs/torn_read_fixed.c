/* torn_read_fixed.c — torn_read_bug.c's fix: the reader takes host and port
 * in one locked section, so both come from the same move. */
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

static void get_address(long *host, long *port)
{
    pthread_mutex_lock(&lock);
    *host = service.host;
    *port = service.port;
    pthread_mutex_unlock(&lock);
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
        long host, port;
        get_address(&host, &port);
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
