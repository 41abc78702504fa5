/* db_connection — Django #1442 (2006): one database connection for all
 * threads (Threading wiki, seeds/000 and seeds/001: "See #1442").
 *
 * The backend module held one DatabaseWrapper for the whole process:
 *
 *     class DatabaseWrapper:
 *         def cursor(self):
 *             if self.connection is None:
 *                 self.connection = Database.connect(...)   # slow
 *             return self.connection.cursor()
 *         def _commit(self):
 *             if self.connection is not None:
 *                 return self.connection.commit()
 *         def _rollback(self): ...                         # the same
 *         def close(self):
 *             if self.connection is not None:
 *                 self.connection.close()
 *                 self.connection = None
 *
 * With threads: two requests both find no connection and both connect (the
 * first connection is overwritten and never closed: leaked); both share one
 * connection, so one sees the other's uncommitted rows and one's commit or
 * rollback applies to the other's work; and one request's close() at
 * request_finished kills the connection under the other's query. The fix
 * (#1442, 2006): make the wrapper thread-local, "instead of lock-based
 * connection pools it uses TLS". The pool is kept here as the alternative
 * the ticket rejected: correct too; compare throughput.
 *
 * The database is a small real one: a committed table, connection objects
 * with their own transaction buffer (each with the driver's lock, as
 * psycopg had), open/close/commit/rollback, and a count of connections
 * accepted. The oracle inspects that state and what each request's SELECT
 * returned. The racy variant's plain accesses to `wrapper.connection` are
 * what TSan sees. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, THREAD_LOCAL, POOLED_LOCK };
enum { OK, DB_ERROR, LEAK, FOREIGN_TXN, DIRTY_READ, CLOSED_MID_QUERY };
enum { AT_CONNECT, AT_QUERY, AT_RESPOND, AT_DB_ERROR };

#define REQUESTS 2
#define COMMITTER 0        /* request 0 commits its row; request 1 rolls back */
#define MAX_CONNS REQUESTS /* each request connects at most once */
#define MAX_ROWS (2 * REQUESTS)

/* ---- the database -------------------------------------------------------- */

typedef struct {
    rl_mutex lock; /* the driver's per-connection lock */
    int open;
    int n_pending;
    int pending[MAX_ROWS]; /* the transaction buffer: who inserted each row */
} db_conn;

typedef struct {
    rl_mutex lock; /* the server's: commits are serialised */
    int n_rows;
    int rows[MAX_ROWS]; /* the committed table: who inserted each row */
    db_conn conns[MAX_CONNS];
    _Atomic int opened; /* connections accepted: an index that only grows */
} database;

enum { DB_OK, DB_CLOSED, DB_FAILED };

static db_conn *db_connect(database *db)
{
    RL_POINT(AT_CONNECT); /* TCP, authentication, session setup */
    if (RL_FAULT(AT_DB_ERROR))
        return NULL; /* OperationalError: could not connect */
    db_conn *c = &db->conns[atomic_fetch_add_explicit(&db->opened, 1, memory_order_relaxed)];
    rl_mutex_lock(&c->lock);
    c->open = 1;
    rl_mutex_unlock(&c->lock);
    return c;
}

static int db_insert(db_conn *c, int who)
{
    rl_mutex_lock(&c->lock);
    int rc = c->open ? DB_OK : DB_CLOSED;
    if (rc == DB_OK)
        c->pending[c->n_pending++] = who;
    rl_mutex_unlock(&c->lock);
    return rc;
}

/* SELECT: the committed rows plus this connection's uncommitted ones. Sets
 * *others to the number of rows it returned that another request inserted
 * and nobody committed. */
static int db_select(db_conn *c, int who, int *others)
{
    rl_mutex_lock(&c->lock);
    int rc = c->open ? DB_OK : DB_CLOSED;
    *others = 0;
    for (int i = 0; rc == DB_OK && i < c->n_pending; i++)
        *others += c->pending[i] != who;
    rl_mutex_unlock(&c->lock);
    if (rc != DB_OK)
        return rc;
    RL_POINT(AT_QUERY); /* the server executes; rows on the wire */
    if (RL_FAULT(AT_DB_ERROR))
        return DB_FAILED;
    rl_mutex_lock(&c->lock);
    rc = c->open ? DB_OK : DB_CLOSED; /* closed under us: the read fails */
    rl_mutex_unlock(&c->lock);
    return rc;
}

static int db_commit(database *db, db_conn *c)
{
    rl_mutex_lock(&c->lock);
    int rc = c->open ? DB_OK : DB_CLOSED;
    if (rc == DB_OK) {
        rl_mutex_lock(&db->lock);
        for (int i = 0; i < c->n_pending; i++)
            db->rows[db->n_rows++] = c->pending[i];
        rl_mutex_unlock(&db->lock);
        c->n_pending = 0;
    }
    rl_mutex_unlock(&c->lock);
    return rc;
}

static int db_rollback(db_conn *c)
{
    rl_mutex_lock(&c->lock);
    int rc = c->open ? DB_OK : DB_CLOSED;
    c->n_pending = 0;
    rl_mutex_unlock(&c->lock);
    return rc;
}

/* Closing discards the uncommitted work; closing twice does nothing. */
static void db_close(db_conn *c)
{
    rl_mutex_lock(&c->lock);
    c->open = 0;
    c->n_pending = 0;
    rl_mutex_unlock(&c->lock);
}

/* ---- DatabaseWrapper ----------------------------------------------------- */

typedef struct {
    db_conn *connection;
} wrapper;

/* What one request saw. */
typedef struct {
    int used;         /* it got a connection */
    int saw_others;   /* its SELECT returned another request's uncommitted rows */
    int closed_under; /* a query, commit or cursor() found it closed by another */
    int db_error;     /* an injected database error */
    int committed;    /* commit() returned without an error */
} request_log;

typedef struct {
    database db;
    wrapper shared;          /* racy: the module's one DatabaseWrapper */
    wrapper local[REQUESTS]; /* thread-local: one per (trial, thread) */
    rl_mutex pool_lock;      /* pooled-lock */
    int n_idle;
    db_conn *idle[MAX_CONNS];
    request_log log[REQUESTS];
} db_state;

static db_conn *wrapper_cursor(db_state *s, wrapper *w, request_log *log)
{
    if (w->connection == NULL) {
        db_conn *c = db_connect(&s->db);
        if (c == NULL) {
            log->db_error = 1;
            return NULL;
        }
        /* RACE (racy): the other request also found no connection and
         * connected: whichever store comes second orphans the other's
         * connection, open forever (leak). */
        w->connection = c;
    }
    /* RACE (racy): another request's close() may have set None since. */
    db_conn *c = w->connection;
    if (c == NULL)
        log->closed_under = 1; /* AttributeError: 'NoneType' object ... */
    return c;
}

/* _commit / _rollback: on whatever connection the wrapper holds now (racy:
 * possibly the other request's, with its work in it). */
static void wrapper_end(db_state *s, wrapper *w, request_log *log, int commit)
{
    db_conn *c = w->connection;
    if (c == NULL) {
        log->committed = commit; /* nothing to do, and no error either */
        return;
    }
    int rc = commit ? db_commit(&s->db, c) : db_rollback(c);
    if (rc == DB_CLOSED)
        log->closed_under = 1;
    else
        log->committed = commit;
}

static void wrapper_close(wrapper *w)
{
    db_conn *c = w->connection;
    if (c != NULL) {
        db_close(c); /* RACE (racy): the other request may be mid-query on it */
        w->connection = NULL;
    }
}

/* ---- pooled-lock: a pool of connections under one lock ------------------- */

static db_conn *pool_get(db_state *s, request_log *log)
{
    rl_mutex_lock(&s->pool_lock);
    db_conn *c = s->n_idle > 0 ? s->idle[--s->n_idle] : NULL;
    rl_mutex_unlock(&s->pool_lock);
    if (c == NULL && (c = db_connect(&s->db)) == NULL)
        log->db_error = 1;
    return c; /* ours alone until pool_put */
}

static void pool_put(db_state *s, db_conn *c)
{
    rl_mutex_lock(&s->pool_lock);
    s->idle[s->n_idle++] = c;
    rl_mutex_unlock(&s->pool_lock);
}

/* ---- a request: INSERT, SELECT, then commit (request 0) or roll back ------ */

static int work(db_conn *c, int self, request_log *log)
{
    int others = 0;
    int rc = db_insert(c, self);
    if (rc == DB_OK)
        rc = db_select(c, self, &others);
    log->saw_others = others;
    log->closed_under |= rc == DB_CLOSED;
    log->db_error |= rc == DB_FAILED;
    return rc == DB_OK;
}

static void request(void *state, int variant)
{
    db_state *s = state;
    int self = rl_self();
    request_log *log = &s->log[self];
    if (variant == POOLED_LOCK) {
        db_conn *c = pool_get(s, log);
        if (c == NULL)
            return;
        log->used = 1;
        int ok = work(c, self, log);
        if (ok && self == COMMITTER)
            log->committed = db_commit(&s->db, c) == DB_OK;
        else
            db_rollback(c);
        RL_POINT(AT_RESPOND);
        pool_put(s, c); /* request_finished: back to the pool, not closed */
        return;
    }
    /* racy: the module's wrapper; thread-local: this thread's own */
    wrapper *w = variant == RACY ? &s->shared : &s->local[self];
    db_conn *c = wrapper_cursor(s, w, log);
    int ok = 0;
    if (c != NULL) {
        log->used = 1;
        ok = work(c, self, log);
    }
    wrapper_end(s, w, log, ok && self == COMMITTER);
    RL_POINT(AT_RESPOND);
    wrapper_close(w); /* request_finished */
}

static void init(void *state, int variant)
{
    db_state *s = state;
    rl_mutex_init(&s->db.lock);
    for (int i = 0; i < MAX_CONNS; i++)
        rl_mutex_init(&s->db.conns[i].lock);
    if (variant == POOLED_LOCK)
        rl_mutex_init(&s->pool_lock);
}

static void fini(void *state, int variant)
{
    db_state *s = state;
    rl_mutex_destroy(&s->db.lock);
    for (int i = 0; i < MAX_CONNS; i++)
        rl_mutex_destroy(&s->db.conns[i].lock);
    if (variant == POOLED_LOCK)
        rl_mutex_destroy(&s->pool_lock);
}

/* Is connection c still held by someone who will close or reuse it? */
static int reachable(const db_state *s, const db_conn *c)
{
    if (s->shared.connection == c)
        return 1;
    for (int r = 0; r < REQUESTS; r++)
        if (s->local[r].connection == c)
            return 1;
    for (int i = 0; i < s->n_idle; i++)
        if (s->idle[i] == c)
            return 1;
    return 0;
}

static int arbiter(void *state, int variant)
{
    (void)variant;
    db_state *s = state;
    int opened = atomic_load(&s->db.opened), users = 0, db_error = 0;
    int closed_under = 0, saw_others = 0;
    for (int r = 0; r < REQUESTS; r++) {
        users += s->log[r].used;
        db_error |= s->log[r].db_error;
        closed_under |= s->log[r].closed_under;
        saw_others |= s->log[r].saw_others > 0;
    }
    /* Each thread needs one connection at most; none may be left open with
     * nobody holding it. */
    if (opened > users)
        return LEAK;
    for (int i = 0; i < opened; i++)
        if (s->db.conns[i].open && !reachable(s, &s->db.conns[i]))
            return LEAK;
    /* The table holds exactly the rows of the requests whose commit
     * succeeded: no one else's commit took a row its owner rolled back, no
     * one else's rollback or close undid a committed row. */
    int in_table[REQUESTS] = {0};
    for (int i = 0; i < s->db.n_rows; i++)
        in_table[s->db.rows[i]]++;
    for (int r = 0; r < REQUESTS; r++)
        if (in_table[r] != s->log[r].committed)
            return FOREIGN_TXN;
    if (saw_others)
        return DIRTY_READ;
    if (closed_under)
        return CLOSED_MID_QUERY;
    return db_error ? DB_ERROR : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "each request had its own connection and transaction"},
    [DB_ERROR] = {"db-error", RL_ACCEPTABLE, "an injected database error failed a request"},
    [LEAK] = {"leak", RL_FORBIDDEN,
              "more connections opened than threads used, or one left open unreferenced"},
    [CLOSED_MID_QUERY] = {"closed-mid-query", RL_FORBIDDEN,
                          "another request closed the connection under a query or commit"},
    [FOREIGN_TXN] = {"foreign-txn", RL_FORBIDDEN,
                     "one request's commit or rollback applied to another's work"},
    [DIRTY_READ] = {"dirty-read", RL_FORBIDDEN,
                    "a SELECT returned another request's uncommitted row"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "one module-level DatabaseWrapper shared by all threads"},
    [THREAD_LOCAL] = {"thread-local", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                      "one DatabaseWrapper per thread (the #1442 fix)"},
    [POOLED_LOCK] = {"pooled-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                     "a lock-guarded pool: a request checks a connection out and back in"},
};

static const rl_point points[] = {
    [AT_CONNECT] = {"db_connection/connect", RL_DELAY_POINT,
                    "Database.connect(): network and authentication"},
    [AT_QUERY] = {"db_connection/query", RL_DELAY_POINT, "the SELECT runs on the server"},
    [AT_RESPOND] =
        {"db_connection/respond", RL_DELAY_POINT,
         "the response is sent: after commit or rollback, before request_finished closes"},
    [AT_DB_ERROR] = {"db_connection/db-error", RL_FAULT_POINT,
                     "connect or SELECT fails (OperationalError)"},
};

static const rl_scenario db_connection = {
    .name = "db_connection",
    .reference = "Django #1442 (2006), Threading wiki (seeds/000, seeds/001): one database "
                 "connection for all threads",
    .summary = "two requests share the module's DatabaseWrapper",
    .actors = REQUESTS,
    .state_size = sizeof(db_state),
    .init = init,
    .fini = fini,
    .actor = {request, request},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(db_connection)
