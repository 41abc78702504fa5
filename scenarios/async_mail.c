/* async_mail — error mail sent from a daemon thread with fail_silently=True
 * ("Threading in Django", seeds/004, section "Side effects").
 *
 * The article's view formats an error mail in the request thread, then
 *
 *     t = threading.Thread(target=send_mail, args=[subject, message, from,
 *                          recipients], kwargs={'fail_silently': True})
 *     t.setDaemon(True)
 *     t.start()
 *     return HttpResponseServerError(some_error_page)
 *
 * "This tells Python not to wait for the thread to exit." Python does not
 * wait for it at exit either: when the worker process ends (recycled after
 * its max-requests, restarted by a deploy, a management command returning)
 * the daemon thread dies wherever it is, before or during the SMTP round
 * trip; and fail_silently has already swallowed any SMTP error. The mail is
 * gone and nothing says so.
 *
 * Each trial is a real worker process. The actor forks it; the child serves
 * `requests` requests (--param requests=N, default 2), each queueing one
 * mail, runs the interpreter's exit (which waits for non-daemon threads
 * only) and ends with _exit, killing whatever thread is still running. The
 * SMTP server and the error log live outside the worker: a thread of the
 * parent reads one pipe on which the worker writes "D<id> <attempt>\n" for a
 * mail the server accepted and "E<id>\n" for a failure it logged. Each is
 * one write() shorter than PIPE_BUF, so a message is in the pipe whole or
 * not at all.
 *
 * The worker's memory is the child's copy of the trial state (`worker`);
 * nothing the child writes reaches the parent except through the pipe. A
 * hung worker is killed when the parent dies (PR_SET_PDEATHSIG, so the
 * watchdog's hang exit leaves no process behind) and by a 10 s alarm. */
#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { RACY, JOINED, QUEUE };
enum { DELIVERED, DELIVERED_LATE, FAILURE_REPORTED, MAIL_LOST, DUPLICATE_MAIL, WORKER_DIED };
enum { AT_CONNECT, AT_SMTP, AT_RESPOND };

#define MAX_REQUESTS 8
#define SEND_ATTEMPTS 3 /* the `queue` worker's tries per mail */

typedef struct worker_app worker_app;

typedef struct {
    int id;
    worker_app *app;
} mail;

/* The worker process's memory (only the child's copy is ever used). */
struct worker_app {
    int smtp; /* write end of the pipe: the SMTP server and the error log */
    int requests;
    mail mails[MAX_REQUESTS];
    rl_thread senders[MAX_REQUESTS]; /* `joined`: non-daemon threads */
    /* `queue`: one mail thread fed through a queue, flushed at exit */
    rl_mutex lock;
    rl_cond wake;
    mail *queue[MAX_REQUESTS];
    int head, tail;
    int closing;
    rl_thread mailer;
};

/* _Alignas(64): each state a whole number of cache lines. (It also keeps
 * the engine's aligned_alloc(64, n * stride) valid under TSan, which
 * rejects a size that is not a multiple of 64, in runtimes that do not
 * round the size up.) */
typedef struct {
    _Alignas(64) int requests; /* mails queued: one per request */
    /* Seen by the SMTP server and the log, outside the worker. */
    int server_in; /* read end of the pipe */
    int delivered[MAX_REQUESTS];
    int reported[MAX_REQUESTS];
    int late;    /* delivered on a second or later attempt */
    int garbled; /* a line the server could not parse */
    int died;    /* the worker ended by a signal */
    worker_app worker;
} trial;

/* ---- the worker process ------------------------------------------------ */

/* send_mail(): one SMTP session. 0 when the server accepted the message. */
static int send_mail(const mail *m, int attempt)
{
    RL_POINT(AT_CONNECT); /* connect, EHLO, MAIL FROM, RCPT TO: slow */
    if (RL_FAULT(AT_SMTP))
        return -1; /* 421 / 554: smtplib raises SMTPException */
    char line[32];
    int n = snprintf(line, sizeof line, "D%d %d\n", m->id, attempt);
    return write(m->app->smtp, line, (size_t)n) == n ? 0 : -1; /* 250 OK: queued */
}

/* logger.error(): the error log is outside the process too. */
static void log_failure(const mail *m)
{
    char line[32];
    int n = snprintf(line, sizeof line, "E%d\n", m->id);
    if (write(m->app->smtp, line, (size_t)n) != n)
        abort(); /* the log itself is gone: nothing sane left to do */
}

/* racy: send_mail(..., fail_silently=True) on a daemon thread. */
static void *send_silently(void *p)
{
    /* RACE: an SMTPException is swallowed right here: a refused mail is as
     * lost as one whose thread was killed, and nothing is logged. */
    (void)send_mail(p, 1);
    return NULL;
}

/* joined: fail_silently=False, and the thread catches and logs. */
static void *send_or_log(void *p)
{
    if (send_mail(p, 1) != 0)
        log_failure(p);
    return NULL;
}

/* queue: one mail thread; a failed mail is tried again, then logged. */
static void *mail_thread(void *p)
{
    worker_app *app = p;
    rl_mutex_lock(&app->lock);
    for (;;) {
        while (app->head == app->tail && !app->closing)
            rl_cond_wait(&app->wake, &app->lock);
        if (app->head == app->tail)
            break; /* closing, and the queue is drained */
        mail *m = app->queue[app->head++];
        rl_mutex_unlock(&app->lock);
        for (int attempt = 1; send_mail(m, attempt) != 0; attempt++) {
            if (attempt == SEND_ATTEMPTS) {
                log_failure(m); /* delivered later, or reported: never dropped */
                break;
            }
        }
        rl_mutex_lock(&app->lock);
    }
    rl_mutex_unlock(&app->lock);
    return NULL;
}

/* The view: the data is invalid, so format the mail here, hand it over,
 * and return the error page. */
static void handle_request(worker_app *app, int variant, int id)
{
    mail *m = &app->mails[id];
    m->id = id;
    m->app = app;
    if (variant == RACY) {
        /* RACE: t.setDaemon(True); t.start() -- nobody will wait for this
         * thread, not the request and not the process exit below. */
        if (rl_spawn_detached(send_silently, m) != 0)
            abort();
    } else if (variant == JOINED) {
        /* FIX: a non-daemon thread (the interpreter joins it at exit) whose
         * errors are logged, not swallowed. */
        if (rl_spawn(&app->senders[id], send_or_log, m) != 0)
            abort();
    } else {
        /* FIX: queue the mail for the one mail thread. */
        rl_mutex_lock(&app->lock);
        app->queue[app->tail++] = m;
        rl_cond_signal(&app->wake);
        rl_mutex_unlock(&app->lock);
    }
    RL_POINT(AT_RESPOND); /* render the error page, send the response */
}

/* The interpreter's exit: threading._shutdown() joins non-daemon threads;
 * daemon threads are simply not waited for. */
static void interpreter_exit(worker_app *app, int variant)
{
    if (variant == JOINED) {
        for (int i = 0; i < app->requests; i++)
            rl_join(&app->senders[i]);
    } else if (variant == QUEUE) {
        /* FIX: flush the queue, then stop the mail thread. */
        rl_mutex_lock(&app->lock);
        app->closing = 1;
        rl_cond_broadcast(&app->wake);
        rl_mutex_unlock(&app->lock);
        rl_join(&app->mailer);
    }
    /* RACE (racy): nothing waits for the daemon threads. A mail thread that
     * has not finished its SMTP session by now (it may not even have been
     * scheduled yet) dies with the process at the _exit below, and its mail
     * is lost without a trace:
     *   request thread: t.start(); return response; ... process exits
     *   mail thread:                 connect ... (killed)          */
}

static void worker_process(trial *t, int smtp, int variant, pid_t parent)
{
    /* Never outlive the harness: killed when the actor thread that forked us
     * ends (the watchdog's hang exit, Ctrl-C), and after 10 s regardless. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    alarm(10);
    worker_app *app = &t->worker;
    app->smtp = smtp;
    app->requests = t->requests;
    if (variant == QUEUE) {
        rl_mutex_init(&app->lock);
        rl_cond_init(&app->wake);
        rl_cond_name(&app->wake, "mail queue not_empty");
        if (rl_spawn(&app->mailer, mail_thread, app) != 0)
            abort();
    }
    for (int id = 0; id < app->requests; id++)
        handle_request(app, variant, id);
    interpreter_exit(app, variant);
    _exit(0); /* the process ends: every thread still running dies here */
}

/* ---- outside the worker: the SMTP server and the error log --------------- */

static void take_line(trial *t, const char *line)
{
    int id = -1, attempt = 0;
    char tail;
    if (sscanf(line, "D%d %d%c", &id, &attempt, &tail) == 2 && id >= 0 && id < t->requests &&
        attempt >= 1) {
        t->delivered[id]++;
        t->late += attempt > 1;
    } else if (sscanf(line, "E%d%c", &id, &tail) == 1 && id >= 0 && id < t->requests) {
        t->reported[id]++;
    } else {
        t->garbled++;
    }
}

static void *smtp_server(void *p)
{
    trial *t = p;
    char buf[1024];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(t->server_in, buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF: every copy of the write end is closed */
        have += (size_t)n;
        buf[have] = '\0';
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            *nl = '\0';
            take_line(t, start);
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf - 1) {
            t->garbled++;
            have = 0;
        }
    }
    t->garbled += have > 0; /* half a line: cannot happen with atomic writes */
    return NULL;
}

/* ---- the actor: one worker process per trial ----------------------------- */

static void run_worker(void *state, int variant)
{
    trial *t = state;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("async_mail: pipe");
        exit(3);
    }
    t->server_in = fds[0];
    rl_thread server;
    if (rl_spawn(&server, smtp_server, t) != 0) {
        fprintf(stderr, "async_mail: cannot start the server thread\n");
        exit(3);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        worker_process(t, fds[1], variant, parent);
    }
    if (pid < 0) {
        perror("async_mail: fork");
        exit(3);
    }
    close(fds[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    rl_join(&server);
    close(fds[0]);
    t->died = WIFSIGNALED(status);
}

static void init(void *state, int variant)
{
    (void)variant;
    trial *t = state;
    t->requests = (int)rl_param("requests");
}

/* Every queued mail either reached the server or was logged as failed. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    trial *t = state;
    if (t->died)
        return WORKER_DIED;
    int lost = t->garbled > 0, duplicate = 0, reported = 0;
    for (int id = 0; id < t->requests; id++) {
        int seen = t->delivered[id] + t->reported[id];
        lost |= seen == 0;
        duplicate |= seen > 1;
        reported |= t->reported[id] > 0;
    }
    if (lost)
        return MAIL_LOST;
    if (duplicate)
        return DUPLICATE_MAIL;
    if (reported)
        return FAILURE_REPORTED;
    return t->late ? DELIVERED_LATE : DELIVERED;
}

static const rl_outcome outcomes[] = {
    [DELIVERED] = {"delivered", RL_ACCEPTABLE, "every mail reached the SMTP server"},
    [DELIVERED_LATE] = {"delivered-late", RL_ACCEPTABLE,
                        "every mail reached the server, some after a failed attempt"},
    [FAILURE_REPORTED] = {"failure-reported", RL_ACCEPTABLE,
                          "delivered + failures logged = mails queued"},
    [MAIL_LOST] = {"mail-lost", RL_FORBIDDEN,
                   "a mail neither reached the server nor was logged as failed"},
    [DUPLICATE_MAIL] = {"duplicate-mail", RL_FORBIDDEN,
                        "a mail was delivered twice, or delivered and logged as failed"},
    [WORKER_DIED] = {"worker-died", RL_FORBIDDEN,
                     "the worker process was killed by a signal (a crash, or the 10 s alarm)"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ORACLE, NULL,
              "daemon thread, fail_silently=True: killed at exit, errors swallowed"},
    [JOINED] = {"joined", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "non-daemon thread joined at exit, SMTP errors logged"},
    [QUEUE] = {"queue", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
               "one mail thread fed by a queue, flushed at exit; retries, then logs"},
};

static const rl_param_spec params[] = {
    {"requests", 2, 1, MAX_REQUESTS, "requests the worker serves, one mail queued by each"},
};

static const rl_point points[] = {
    [AT_CONNECT] = {"async_mail/connect", RL_DELAY_POINT,
                    "the SMTP round trip before the server has the mail"},
    [AT_SMTP] = {"async_mail/smtp", RL_FAULT_POINT,
                 "the SMTP server refuses the mail (SMTPException)"},
    [AT_RESPOND] = {"async_mail/respond", RL_DELAY_POINT,
                    "rendering the error page after handing the mail over"},
};

static const rl_scenario async_mail = {
    .name = "async_mail",
    .reference = "Threading in Django (seeds/004): send_mail on a daemon thread, fail_silently",
    .summary = "a worker process exits while its daemon thread is still sending mail",
    .actors = 1,
    .state_size = sizeof(trial),
    .init = init,
    .actor = {run_worker},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_PARAMS(params),
    .max_batch = 1, /* one fork per trial */
};

RL_SCENARIO(async_mail)
