/* exit_nojoin_fixed.c — exit_nojoin_bug.c's fix: main tells the logger to
 * stop once it has written everything, and joins it before the teardown. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRIES 4
#define LIVE 0x4c495645u
#define DEAD 0xdeadu

struct entry {
    unsigned magic;
    char text[32];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct entry entries[ENTRIES];
static int queued, written, closing;

static void *logger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (written == queued && !closing)
            pthread_cond_wait(&more, &lock);
        if (written == queued)
            break; /* closing, and everything written */
        const struct entry *e = &entries[written++];
        if (e->magic != LIVE) {
            fprintf(stderr, "logger: entry %d is dead\n", written - 1);
            abort();
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void log_line(const char *text)
{
    pthread_mutex_lock(&lock);
    struct entry *e = &entries[queued];
    e->magic = LIVE;
    snprintf(e->text, sizeof e->text, "%s", text);
    queued++;
    pthread_cond_signal(&more);
    pthread_mutex_unlock(&lock);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, logger, NULL);
    log_line("hello");
    log_line("bye");
    pthread_mutex_lock(&lock);
    closing = 1;
    pthread_cond_signal(&more);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL); /* the logger is done before the teardown */
    for (int i = 0; i < ENTRIES; i++)
        entries[i].magic = DEAD;
    return 0;
}
