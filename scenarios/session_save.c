/* session_save — two users in one session, lost session data, and a torn
 * session file (django.contrib.sessions; Django #1080, fixed 2008-08;
 * "Module-level lock is needed for sessions", Threading improvements in
 * Django, seeds/000).
 *
 * Part 1, the key (variants racy, must-create, module-lock). A new
 * visitor's session got its key by check-then-use:
 *
 *     def _get_new_session_key(self):
 *         while True:
 *             session_key = md5(randint(...) + pid + time + SECRET_KEY)
 *             if not self.exists(session_key):      # SELECT (slow)
 *                 break
 *         return session_key
 *     ...
 *     self.save()                                   # INSERT or UPDATE
 *
 * Two requests that draw the same free key both pass exists() and both
 * save: the second save overwrites the first visitor's row and both
 * browsers carry one cookie. One user is logged in as the other: a
 * security failure, not a glitch. Django's fix (#1080) is
 * save(must_create=True): an INSERT that fails on an existing key
 * (CreateError), retried with a new key. The key space is shrunk here so
 * that the two requests always draw the same keys, as forked workers
 * sharing one random seed did; what is left to chance is the window
 * between exists() and save().
 *
 * Part 2, the data (same variants). Two requests of one user (two tabs, an
 * AJAX call) load the session, change it and save all of it back:
 *
 *     request.session["cart"] = request.session["cart"] + [item]   # load
 *     ...                                                          # save
 *
 * The later save drops the other's item: a lost update. Django never
 * locked this (last write wins), so must-create still loses updates; the
 * wiki's module-level lock around load-modify-save fixes it, within one
 * process (a lock cannot serialise two server processes: only the
 * database's unique key protects part 1 there).
 *
 * Part 3, the file store (variants in-place, tmp-rename). The file backend
 * rewrote the session file in place: open(path, "wb") truncates it, then
 * the data goes out in several write(2)s. A load() during a save reads a
 * part; two saves truncate each other and interleave their chunks; a
 * write that fails (EIO, ENOSPC) leaves a truncated file. Writing a
 * temporary file and rename()-ing it over the old one gives readers the
 * old file or the new one, whole. Real files under the run's scratch
 * directory, one per trial (named after the trial's state: unique among
 * the trials alive at once, removed by fini before the state is reused;
 * the runtime removes the directory at exit). The write fault point
 * stands for libfiu's POSIX faults until they are wired in.
 *
 * Knob (--param): fsync=1 makes tmp-rename fsync before the rename (what
 * crash safety needs; off by default: this scenario tests concurrency,
 * not power loss, and fsync on a disk costs milliseconds). */
#include "racelab.h"

#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { RACY, MUST_CREATE, MODULE_LOCK, IN_PLACE, TMP_RENAME };
enum { OK, CREATE_RETRIED, SAVE_FAILED, SHARED_SESSION, LOST_UPDATE, TORN_FILE };
enum { AT_EXISTS, AT_LOAD, AT_WRITE, AT_READ };
#define ACTORS 2
#define KEYS 4 /* more than ACTORS: a free key is always found */

/* A session file: "session:X\n", a body of X, "\nend:X\n" (X the version:
 * '0' the old session, 'A' or 'B' the two requests' saves). It parses only
 * when whole: the right size, one version throughout. */
#define FILE_SIZE 2048
#define CHUNKS 4
#define CHUNK (FILE_SIZE / CHUNKS)
#define TAIL_LEN 7

typedef struct {
    /* part 1: the django_session table, key -> user (0: free) */
    union {
        int plain[KEYS];
        _Atomic int atomic[KEYS]; /* must-create: the key is the primary key */
    } owner;
    int cookie[ACTORS];        /* the key each new visitor's response set */
    int create_errors[ACTORS]; /* must-create: INSERTs refused, key redrawn */
    /* part 2: one user's session data, a set of cart items */
    int cart;
    rl_mutex module_lock;
    /* part 3: the file store */
    const char *dir;
    int fsync;
    int saved[ACTORS];   /* 1: save() succeeded; 0: it failed and said so */
    char loaded[ACTORS]; /* the version load() read back; 0: did not parse */
} session_state;

/* ---- part 1: a new visitor gets a session key ----------------------------- */

/* Both visitors' draws come out the same: key 0, then key 1, ... */
static int draw_key(int attempt) { return attempt % KEYS; }

static int new_session_racy(session_state *s, int user)
{
    for (int attempt = 0;; attempt++) {
        int key = draw_key(attempt);
        int taken = s->owner.plain[key]; /* self.exists(session_key) */
        RL_POINT(AT_EXISTS);
        if (taken)
            continue;
        /* RACE: the other visitor's exists() ran during this round trip:
         * both found the key free, both save it. The second save wins the
         * row; both cookies carry this key: one session, two users. */
        s->owner.plain[key] = user; /* self.save(): INSERT or UPDATE */
        return key;
    }
}

/* Django's fix: save(must_create=True) INSERTs and fails on a duplicate
 * key; create() draws a new key and tries again. */
static int new_session_must_create(session_state *s, int user, int self)
{
    for (int attempt = 0;; attempt++) {
        int key = draw_key(attempt);
        if (atomic_load_explicit(&s->owner.atomic[key], memory_order_acquire))
            continue; /* exists(): the cheap first check, kept */
        RL_POINT(AT_EXISTS);
        int expected = 0;
        if (atomic_compare_exchange_strong_explicit(&s->owner.atomic[key], &expected, user,
                                                    memory_order_acq_rel, memory_order_acquire))
            return key;           /* INSERT INTO django_session ... */
        s->create_errors[self]++; /* CreateError: somebody got there first */
    }
}

/* The wiki's fix: the module's session code under one lock. */
static int new_session_module_lock(session_state *s, int user)
{
    rl_mutex_lock(&s->module_lock);
    int key = new_session_racy(s, user);
    rl_mutex_unlock(&s->module_lock);
    return key;
}

/* ---- part 2: two requests of one user change the session -------------------- */

static void add_to_cart(session_state *s, int item)
{
    int cart = s->cart; /* SessionStore.load() */
    RL_POINT(AT_LOAD);  /* the view runs */
    cart |= item;       /* session["cart"] += [item] */
    /* RACE: the other request loaded the same cart meanwhile and saves its
     * own copy after this one: this item is gone. */
    s->cart = cart; /* SessionStore.save(): the whole session is written */
}

static void add_to_cart_module_lock(session_state *s, int item)
{
    rl_mutex_lock(&s->module_lock);
    add_to_cart(s, item);
    rl_mutex_unlock(&s->module_lock);
}

/* ---- part 3: the file store ------------------------------------------------- */

static void session_path(const session_state *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s/session-%p", s->dir, (const void *)s);
}

/* Copy text without its terminating NUL. */
static void put(char *dst, const char *text)
{
    while (*text != '\0')
        *dst++ = *text++;
}

static void encode(char version, char *buf)
{
    memset(buf, version, FILE_SIZE);
    put(buf, "session:");
    buf[8] = version;
    buf[9] = '\n';
    put(buf + FILE_SIZE - TAIL_LEN, "\nend:");
    buf[FILE_SIZE - 2] = version;
    buf[FILE_SIZE - 1] = '\n';
}

/* The version of a whole file, or 0. */
static char decode(const char *buf, ssize_t n)
{
    if (n != FILE_SIZE || memcmp(buf, "session:", 8) != 0)
        return 0;
    char version = buf[8];
    char whole[FILE_SIZE];
    encode(version, whole);
    if (memcmp(buf, whole, FILE_SIZE) != 0)
        return 0;
    return version;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* file.write(data): the data goes out in several write(2)s. */
static int write_chunks(int fd, const char *data)
{
    for (int c = 0; c < CHUNKS; c++) {
        if (RL_FAULT(AT_WRITE))
            return -1; /* EIO or ENOSPC: this chunk and the rest never land */
        if (write_all(fd, data + (size_t)c * CHUNK, CHUNK) != 0)
            return -1;
    }
    return 0;
}

/* The 2008 file backend: open(self._key_to_file(), "wb").write(...) */
static int save_in_place(const session_state *s, const char *data)
{
    char path[PATH_MAX];
    session_path(s, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    /* RACE: from the truncation to the last chunk the file holds a part of
     * a session: a load() now reads a torn file, another save truncates
     * it again and its chunks interleave with these, and a failed write
     * leaves it truncated for good. */
    int ok = write_chunks(fd, data) == 0;
    return close(fd) == 0 && ok;
}

/* The fix: write a private temporary file, rename it over the old one. */
static int save_tmp_rename(const session_state *s, const char *data, int self)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    session_path(s, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, self); /* tempfile.mkstemp(dir=...) */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    int ok = write_chunks(fd, data) == 0;
    if (ok && s->fsync)
        ok = fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok)
        ok = rename(tmp, path) == 0; /* atomic: the old file or the new one */
    if (!ok)
        unlink(tmp); /* the error is reported; the old session is untouched */
    return ok;
}

/* SessionStore.load(): read and decode the whole file. */
static char load(const session_state *s)
{
    char path[PATH_MAX];
    session_path(s, path, sizeof path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    char buf[FILE_SIZE + 1];
    ssize_t n = 0, r;
    while (n < (ssize_t)sizeof buf && (r = read(fd, buf + n, sizeof buf - (size_t)n)) > 0)
        n += r;
    close(fd);
    return decode(buf, n);
}

/* ---- the trial -------------------------------------------------------------- */

/* One server thread. Session variants: it serves a new visitor's first
 * page (part 1), then an AJAX call of the logged-in user (part 2). File
 * variants: a request that saves the user's session, then one that loads
 * it (part 3). */
static void server_thread(void *state, int variant)
{
    session_state *s = state;
    int self = rl_self();
    int user = self + 1, item = 1 << self;
    switch (variant) {
    case RACY:
        s->cookie[self] = new_session_racy(s, user);
        add_to_cart(s, item);
        break;
    case MUST_CREATE:
        s->cookie[self] = new_session_must_create(s, user, self);
        add_to_cart(s, item); /* Django's save(): last write wins */
        break;
    case MODULE_LOCK:
        s->cookie[self] = new_session_module_lock(s, user);
        add_to_cart_module_lock(s, item);
        break;
    default: {
        char data[FILE_SIZE];
        encode((char)('A' + self), data);
        s->saved[self] =
            variant == IN_PLACE ? save_in_place(s, data) : save_tmp_rename(s, data, self);
        RL_POINT(AT_READ);
        s->loaded[self] = load(s);
    }
    }
}

static void init(void *state, int variant)
{
    session_state *s = state;
    if (variant == MODULE_LOCK) {
        rl_mutex_init(&s->module_lock);
        rl_mutex_name(&s->module_lock, "sessions module lock");
    }
    if (variant < IN_PLACE)
        return;
    /* the user's session as an earlier request saved it */
    s->dir = rl_scratch_dir();
    s->fsync = (int)rl_param("fsync");
    char path[PATH_MAX], data[FILE_SIZE];
    session_path(s, path, sizeof path);
    encode('0', data);
    /* The earlier request's save is not under test: under --posix-faults it
     * is retried until it lands (a fault is one write in a few). */
    for (int attempt = 0;; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int ok = fd >= 0 && write_all(fd, data, FILE_SIZE) == 0;
        if (fd >= 0 && close(fd) != 0)
            ok = 0;
        if (ok)
            return;
        if (attempt == 1000) {
            perror("session_save: cannot write a session file in the scratch directory");
            exit(3);
        }
    }
}

static void fini(void *state, int variant)
{
    session_state *s = state;
    if (variant == MODULE_LOCK)
        rl_mutex_destroy(&s->module_lock);
    if (variant >= IN_PLACE) {
        char path[PATH_MAX];
        session_path(s, path, sizeof path);
        unlink(path);
    }
}

/* May a load have returned this version? The old session, or a save that
 * succeeded (a failed save must never be seen, whole or not). */
static int legitimate(const session_state *s, char version)
{
    return version == '0' || (version >= 'A' && version < 'A' + ACTORS && s->saved[version - 'A']);
}

static int grade_file(session_state *s)
{
    int saves = 0;
    for (int a = 0; a < ACTORS; a++) {
        saves += s->saved[a];
        if (!legitimate(s, s->loaded[a]))
            return TORN_FILE;
    }
    char last = load(s);
    if (!legitimate(s, last) || (saves > 0 && last == '0'))
        return TORN_FILE;
    return saves < ACTORS ? SAVE_FAILED : OK;
}

static int arbiter(void *state, int variant)
{
    session_state *s = state;
    if (variant >= IN_PLACE)
        return grade_file(s);
    int retried = 0;
    for (int a = 0; a < ACTORS; a++) {
        int owner = variant == MUST_CREATE ? atomic_load(&s->owner.atomic[s->cookie[a]])
                                           : s->owner.plain[s->cookie[a]];
        if (owner != a + 1)
            return SHARED_SESSION;
        retried += s->create_errors[a];
    }
    if (s->cookie[0] == s->cookie[1])
        return SHARED_SESSION;
    if (s->cart != (1 << ACTORS) - 1)
        return LOST_UPDATE;
    return retried ? CREATE_RETRIED : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE,
            "two visitors, two keys; the cart holds both items; the session file is whole"},
    [CREATE_RETRIED] = {"create-retried", RL_INTERESTING,
                        "must-create's INSERT found the key taken (the window was hit), "
                        "raised CreateError and drew a new key"},
    [SAVE_FAILED] = {"save-failed", RL_ACCEPTABLE,
                     "a session save failed (injected write error) and said so; the file "
                     "still holds a whole session"},
    [SHARED_SESSION] = {"shared-session", RL_FORBIDDEN,
                        "SECURITY: two users got the same session key; the second save took "
                        "over the first user's session, both browsers carry one cookie"},
    [LOST_UPDATE] = {"lost-update", RL_FORBIDDEN,
                     "two requests loaded the same session data; the later save dropped "
                     "the other's change"},
    [TORN_FILE] = {"torn-file", RL_FORBIDDEN,
                   "a session file did not parse whole (read mid-rewrite, interleaved or "
                   "truncated by a failed write), or held a failed save"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "exists() then save() for a new key (SECURITY: two users share a session), "
              "and load-modify-save with no lock"},
    [MUST_CREATE] = {"must-create", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
                     "Django's #1080 fix: never a shared session (the security hole closed), "
                     "but concurrent requests still lose session updates"},
    [MODULE_LOCK] = {"module-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                     "the wiki's module-level lock around key creation and load-modify-save: "
                     "no shared session, no lost update (one process only)"},
    [IN_PLACE] = {"in-place", RL_REPRODUCES, RL_CAUGHT_BY_ORACLE, NULL,
                  "file store: truncate the session file and rewrite it in chunks"},
    [TMP_RENAME] = {"tmp-rename", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                    "file store: write a temporary file, rename it over the old one"},
};

static const rl_param_spec params[] = {
    {"fsync", 0, 0, 1, "tmp-rename fsyncs the temp file before the rename"},
};

static const rl_point points[] = {
    [AT_EXISTS] = {"session_save/exists", RL_DELAY_POINT,
                   "the exists() query's round trip, between the check and the save of a new key"},
    [AT_LOAD] = {"session_save/load", RL_DELAY_POINT,
                 "the view, between loading the session data and saving it back"},
    [AT_WRITE] = {"session_save/write", RL_FAULT_POINT,
                  "before each write(2) of a session file; fails (EIO) when injected"},
    [AT_READ] = {"session_save/read", RL_DELAY_POINT,
                 "between a save and the next load of the file"},
};

/* The database store (racy, must-create, module-lock) asks exists() and runs
 * the view; the file store (in-place, tmp-rename) writes and reads files. */
static const rl_point_reach reach[] = {
    {AT_EXISTS, "racy,must-create,module-lock"},
    {AT_LOAD, "racy,must-create,module-lock"},
    {AT_WRITE, "in-place,tmp-rename"},
    {AT_READ, "in-place,tmp-rename"},
};

static const rl_scenario session_save = {
    .name = "session_save",
    .reference = "django.contrib.sessions, Django #1080 (2008-08); Threading improvements in "
                 "Django (seeds/000): module-level lock for sessions",
    .summary = "session keys by check-then-use (two users, one session), lost session "
               "updates, and session files torn by in-place rewrites",
    .actors = ACTORS,
    .state_size = sizeof(session_state),
    .init = init,
    .fini = fini,
    .actor = {server_thread, server_thread},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_REACH(reach),
    RL_PARAMS(params),
};

RL_SCENARIO(session_save)
