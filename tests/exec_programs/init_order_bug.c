/* init_order_bug.c — an order violation: main starts the server thread, then
 * loads the configuration the server uses. The server sets up its own routes
 * first and takes that as time enough:
 *
 *   main:   start server
 *   server: build routes; give way; struct config *c = config;  -- NULL
 *   main:   config = config_load();
 *   server: pthread_mutex_lock(&c->lock)   -- SIGSEGV
 *
 * Main loads the configuration a fraction of a microsecond after starting
 * the server, which spends tens of microseconds on its routes and gives way to the
 * other threads before it looks, so the configuration is nearly always
 * there. The fix, init_order_fixed.c, loads it before starting the server. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define ROUTES 65536

struct config {
    pthread_mutex_t lock;
    int port;
    long requests;
};

static struct config storage;
static struct config *config;   /* set by main */
static unsigned routes[ROUTES]; /* the server's own */
static int served_port;

static struct config *config_load(void)
{
    struct config *c = &storage;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_lock(&c->lock);
    c->port = 8080;
    c->requests = 0;
    pthread_mutex_unlock(&c->lock);
    return c;
}

/* Some tens of microseconds of the server's own start-up. */
static void build_routes(void)
{
    unsigned x = 1;
    for (int k = 0; k < ROUTES; k++) {
        x = x * 1103515245u + 12345u;
        routes[k] = x >> 16;
    }
}

static void *server(void *arg)
{
    (void)arg;
    build_routes();
    sched_yield();             /* let the rest of the program get going */
    struct config *c = config; /* BUG: nothing says main has loaded it yet */
    pthread_mutex_lock(&c->lock);
    c->requests++;
    int port = c->port;
    pthread_mutex_unlock(&c->lock);
    served_port = port;
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, server, NULL);
    config = config_load(); /* BUG: after starting the thread that uses it */
    pthread_join(t, NULL);
    printf("served on port %d\n", served_port);
    return 0;
}
