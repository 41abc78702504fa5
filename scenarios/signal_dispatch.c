/* signal_dispatch — the signal dispatcher's `connections, senders,
 * sendersBack` (Threading wiki, seeds/001) and Django #14533 (2010-11,
 * "signal dispatcher is not thread safe").
 *
 * The old (PyDispatcher) dispatcher, django/dispatch/dispatcher.py:
 *
 *     signals = connections.setdefault(senderkey, {})
 *     if signal in signals:
 *         receivers = signals[signal]
 *     else:
 *         receivers = signals[signal] = []      # two threads: two lists
 *     receivers.append(receiver)
 *
 * Two connects for the same (sender, signal) both take the else branch; the
 * second assignment orphans the first list and the receiver in it.
 *
 * The 1.0 `Signal` class:
 *
 *     def connect(self, receiver, sender=None, dispatch_uid=None):
 *         lookup_key = (dispatch_uid or _make_id(receiver), _make_id(sender))
 *         for r_key, _ in self.receivers:
 *             if r_key == lookup_key: break
 *         else:
 *             self.receivers.append((lookup_key, receiver))
 *     def disconnect(self, receiver=None, sender=None, dispatch_uid=None):
 *         for index in xrange(len(self.receivers)):
 *             (r_key, _) = self.receivers[index]
 *             if r_key == lookup_key:
 *                 del self.receivers[index]
 *                 break
 *
 * Two threads registering the same dispatch_uid both scan, both append: it
 * fires twice. Two disconnects delete by index: the second deletes by an
 * index the first has shifted, removing the wrong receiver (the weakref
 * cleanup `_remove_receiver` did the same). The fix (#14533): one lock
 * around connect, disconnect and cleanup, and deletion walking backwards.
 *
 * Model: one list operation (len, [i], append, del [i]) was atomic under
 * the GIL, and `del` shifts the tail, so the lists take a tiny `gil` lock
 * per operation: the Signal races are the oracle's to catch. The dict slot
 * `signals[signal]` is one word, read and written plainly by the racy
 * variant: that is what TSan sees. `setdefault` was one atomic call: a
 * compare-and-swap. */
#include "racelab.h"

#include <stdatomic.h>
#include <string.h>

enum { RACY, LOCKED };
enum { OK, LOST_RECEIVER, DUPLICATE_RECEIVER, WRONG_REMOVED };
enum { AT_CONNECT, AT_SCAN, AT_DISCONNECT };

#define THREADS 2
#define LIST_CAP 8

/* Lookup keys (dispatch_uid, or the receiver's id) and receivers. */
enum { KEY_AUDIT = 1, KEY_A, KEY_B, KEY_C };
enum {
    NO_RECEIVER,
    ON_SAVE_0, /* old dispatcher: each thread connects its own receiver */
    ON_SAVE_1,
    AUDIT_0, /* Signal: each thread connects the audit handler, uid "audit" */
    AUDIT_1,
    CLEANUP_A, /* Signal: connected at import time; thread 1 disconnects A, */
    CLEANUP_B, /* thread 0 disconnects B, C stays */
    CLEANUP_C,
    N_RECEIVERS
};

typedef struct {
    int key;
    int receiver;
} entry;

/* A Python list. */
typedef struct {
    int len;
    entry items[LIST_CAP];
} pylist;

/* The old dispatcher: connections = {senderkey: {signal: receivers}}, with
 * one sender and one signal. */
typedef struct {
    pylist *receivers; /* signals[signal]; NULL when absent */
} signals_dict;

typedef struct {
    _Atomic(signals_dict *) connections; /* connections[senderkey] */
    signals_dict dicts[THREADS];
    pylist lists[THREADS];
    _Atomic int n_dicts, n_lists; /* allocators: indices that only grow */
    rl_mutex lock;                /* `locked`: the module's lock */
} old_dispatcher;

/* django.dispatch.Signal */
typedef struct {
    pylist receivers;
    rl_mutex lock; /* `locked`: self.lock */
} django_signal;

typedef struct {
    rl_mutex gil; /* one list operation at a time, as under the GIL */
    old_dispatcher old;
    django_signal post_save;  /* the audit handler, connected with dispatch_uid */
    django_signal pre_delete; /* A, B, C connected at import time */
    int raised[THREADS];      /* IndexError from disconnect */
} dispatch_state;

/* ---- Python lists: each operation atomic -------------------------------- */

static void list_append(dispatch_state *s, pylist *l, entry e)
{
    rl_mutex_lock(&s->gil);
    l->items[l->len++] = e;
    rl_mutex_unlock(&s->gil);
}

/* l[i]; 0 for IndexError */
static int list_get(dispatch_state *s, pylist *l, int i, entry *out)
{
    rl_mutex_lock(&s->gil);
    int ok = i < l->len;
    if (ok)
        *out = l->items[i];
    rl_mutex_unlock(&s->gil);
    return ok;
}

static int list_len(dispatch_state *s, pylist *l)
{
    rl_mutex_lock(&s->gil);
    int n = l->len;
    rl_mutex_unlock(&s->gil);
    return n;
}

/* del l[i]; 0 for IndexError */
static int list_del(dispatch_state *s, pylist *l, int i)
{
    rl_mutex_lock(&s->gil);
    int ok = i < l->len;
    if (ok) {
        memmove(&l->items[i], &l->items[i + 1], (size_t)(l->len - i - 1) * sizeof(entry));
        l->len--;
    }
    rl_mutex_unlock(&s->gil);
    return ok;
}

/* ---- the old dispatcher -------------------------------------------------- */

static signals_dict *setdefault(old_dispatcher *d)
{
    signals_dict *mine = &d->dicts[atomic_fetch_add_explicit(&d->n_dicts, 1, memory_order_relaxed)];
    signals_dict *seen = NULL;
    if (atomic_compare_exchange_strong_explicit(&d->connections, &seen, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    return seen;
}

static pylist *new_list(old_dispatcher *d)
{
    return &d->lists[atomic_fetch_add_explicit(&d->n_lists, 1, memory_order_relaxed)];
}

static void old_connect_racy(dispatch_state *s, int receiver)
{
    signals_dict *signals = setdefault(&s->old);
    pylist *receivers = signals->receivers; /* if signal in signals */
    if (receivers == NULL) {
        RL_POINT(AT_CONNECT);
        /* RACE: the other thread also found no list and stores its own:
         * whichever store comes second orphans the other list, and the
         * receiver appended to it never fires. */
        receivers = new_list(&s->old);
        signals->receivers = receivers;
    }
    list_append(s, receivers, (entry){receiver, receiver});
}

static void old_connect_locked(dispatch_state *s, int receiver)
{
    rl_mutex_lock(&s->old.lock);
    signals_dict *signals = setdefault(&s->old);
    pylist *receivers = signals->receivers;
    if (receivers == NULL) {
        RL_POINT(AT_CONNECT);
        receivers = new_list(&s->old);
        signals->receivers = receivers;
    }
    list_append(s, receivers, (entry){receiver, receiver});
    rl_mutex_unlock(&s->old.lock);
}

/* ---- Signal.connect / Signal.disconnect ---------------------------------- */

static void connect_racy(dispatch_state *s, django_signal *sig, int key, int receiver)
{
    entry e;
    for (int i = 0; list_get(s, &sig->receivers, i, &e); i++)
        if (e.key == key)
            return;
    RL_POINT(AT_SCAN);
    /* RACE: the other thread scanned too and found no "audit" key either:
     * both append, the handler fires twice. */
    list_append(s, &sig->receivers, (entry){key, receiver});
}

static int disconnect_racy(dispatch_state *s, django_signal *sig, int key)
{
    entry e;
    for (int i = 0; list_get(s, &sig->receivers, i, &e); i++) {
        if (e.key == key) {
            RL_POINT(AT_DISCONNECT);
            /* RACE: another disconnect has deleted an earlier item since we
             * read index i: `del` removes the receiver shifted into i, or
             * raises IndexError. (And our scan can step over the key when a
             * deletion shifts it behind us.) */
            return list_del(s, &sig->receivers, i);
        }
    }
    return 1;
}

static void connect_locked(dispatch_state *s, django_signal *sig, int key, int receiver)
{
    rl_mutex_lock(&sig->lock);
    entry e;
    int found = 0;
    for (int i = 0; !found && list_get(s, &sig->receivers, i, &e); i++)
        found = e.key == key;
    RL_POINT(AT_SCAN);
    if (!found)
        list_append(s, &sig->receivers, (entry){key, receiver});
    rl_mutex_unlock(&sig->lock);
}

/* Under the lock, walking backwards: a deletion shifts only what has
 * already been looked at. */
static int disconnect_locked(dispatch_state *s, django_signal *sig, int key)
{
    rl_mutex_lock(&sig->lock);
    entry e;
    for (int i = list_len(s, &sig->receivers) - 1; i >= 0; i--) {
        if (list_get(s, &sig->receivers, i, &e) && e.key == key) {
            RL_POINT(AT_DISCONNECT);
            list_del(s, &sig->receivers, i);
        }
    }
    rl_mutex_unlock(&sig->lock);
    return 1;
}

/* ---- the actors: two threads importing and reconfiguring apps ------------ */

static void app_thread(void *state, int variant)
{
    dispatch_state *s = state;
    int self = rl_self();
    if (variant == RACY) {
        old_connect_racy(s, ON_SAVE_0 + self);
        connect_racy(s, &s->post_save, KEY_AUDIT, AUDIT_0 + self);
        s->raised[self] = !disconnect_racy(s, &s->pre_delete, self == 0 ? KEY_B : KEY_A);
    } else {
        old_connect_locked(s, ON_SAVE_0 + self);
        connect_locked(s, &s->post_save, KEY_AUDIT, AUDIT_0 + self);
        s->raised[self] = !disconnect_locked(s, &s->pre_delete, self == 0 ? KEY_B : KEY_A);
    }
}

static void init(void *state, int variant)
{
    dispatch_state *s = state;
    rl_mutex_init(&s->gil);
    pylist *l = &s->pre_delete.receivers;
    l->items[0] = (entry){KEY_A, CLEANUP_A};
    l->items[1] = (entry){KEY_B, CLEANUP_B};
    l->items[2] = (entry){KEY_C, CLEANUP_C};
    l->len = 3;
    if (variant == LOCKED) {
        rl_mutex_init(&s->old.lock);
        rl_mutex_init(&s->post_save.lock);
        rl_mutex_init(&s->pre_delete.lock);
    }
}

static void fini(void *state, int variant)
{
    dispatch_state *s = state;
    rl_mutex_destroy(&s->gil);
    if (variant == LOCKED) {
        rl_mutex_destroy(&s->old.lock);
        rl_mutex_destroy(&s->post_save.lock);
        rl_mutex_destroy(&s->pre_delete.lock);
    }
}

static void send_signal(const pylist *l, int calls[N_RECEIVERS])
{
    for (int i = 0; l != NULL && i < l->len; i++)
        calls[l->items[i].receiver]++;
}

/* Send each signal once: every live receiver is called exactly once. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    dispatch_state *s = state;
    int calls[N_RECEIVERS] = {0};
    signals_dict *signals = atomic_load(&s->old.connections);
    send_signal(signals != NULL ? signals->receivers : NULL, calls);
    send_signal(&s->post_save.receivers, calls);
    send_signal(&s->pre_delete.receivers, calls);
    if (calls[ON_SAVE_0] != 1 || calls[ON_SAVE_1] != 1)
        return LOST_RECEIVER;
    if (calls[AUDIT_0] + calls[AUDIT_1] != 1)
        return DUPLICATE_RECEIVER;
    if (s->raised[0] || s->raised[1] || calls[CLEANUP_A] != 0 || calls[CLEANUP_B] != 0 ||
        calls[CLEANUP_C] != 1)
        return WRONG_REMOVED;
    return OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "send() calls each live receiver exactly once"},
    [LOST_RECEIVER] = {"lost-receiver", RL_FORBIDDEN,
                       "two connects made two lists: one receiver is orphaned and never fires"},
    [DUPLICATE_RECEIVER] = {"duplicate-receiver", RL_FORBIDDEN,
                            "the same dispatch_uid was connected twice and fires twice"},
    [WRONG_REMOVED] = {"wrong-removed", RL_FORBIDDEN,
                       "a disconnect removed another receiver (or raised IndexError)"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "check-then-act connect, scan-then-append, delete by a stale index"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "one lock around connect and disconnect; delete walking backwards (#14533)"},
};

static const rl_point points[] = {
    [AT_CONNECT] = {"signal_dispatch/connect", RL_DELAY_POINT,
                    "old dispatcher: between `signal in signals` and `signals[signal] = []`"},
    [AT_SCAN] = {"signal_dispatch/scan", RL_DELAY_POINT,
                 "Signal.connect: between the scan for the lookup key and the append"},
    [AT_DISCONNECT] =
        {"signal_dispatch/disconnect", RL_DELAY_POINT,
         "Signal.disconnect: between finding the index and `del self.receivers[index]`"},
};

static const rl_scenario signal_dispatch = {
    .name = "signal_dispatch",
    .reference = "Threading wiki (seeds/001): django/dispatch/dispatcher.py "
                 "`connections, senders, sendersBack`; Django #14533 (2010-11)",
    .summary = "two threads connect and disconnect signal receivers at once",
    .actors = THREADS,
    .state_size = sizeof(dispatch_state),
    .init = init,
    .fini = fini,
    .actor = {app_thread, app_thread},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(signal_dispatch)
