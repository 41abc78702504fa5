/* exit_nojoin_bug.c — main returns without joining its logger thread. The
 * logger waits for entries and checks each one it writes out; main logs
 * its last line, then tears the entries down and returns:
 *
 *   main:   queue "bye"; signal the logger; unlock
 *   main:   mark every entry dead; return from main
 *   logger: wakes before the process ends; checks "bye"  -- dead: abort
 *
 * Between main's last call and the end of the process there is no call at
 * all, so a scheduler that switches only at calls never lets the logger in
 * there; a real machine may, since the process ends only when exit has run
 * its handlers. The fix, exit_nojoin_fixed.c, tells the logger to stop and
 * joins it before the teardown. */
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
static int queued, written;

static void *logger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (written == queued)
            pthread_cond_wait(&more, &lock);
        const struct entry *e = &entries[written++];
        if (e->magic != LIVE) { /* main tore it down while the process was ending */
            fprintf(stderr, "logger: entry %d is dead\n", written - 1);
            abort();
        }
    }
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
    /* BUG: the logger is neither stopped nor joined; if it runs between here
     * and the end of the process, it checks entries torn down below */
    for (int i = 0; i < ENTRIES; i++)
        entries[i].magic = DEAD;
    return 0;
}
