/* pending_lookups — a lazy model relation whose operation is never run
 * (django/db/models/fields/related.py, `pending_lookups`; listed among the
 * unsafe global dicts in Threading improvements in Django, seeds/001).
 *
 * The component (Django 1.0):
 *
 *     pending_lookups = {}
 *
 *     def add_lazy_relation(cls, field, relation, operation):
 *         model = get_model(app_label, model_name, False)
 *         if model:
 *             operation(field, model, cls)
 *         else:
 *             key = (app_label, model_name)
 *             pending_lookups.setdefault(key, []).append((cls, field, operation))
 *
 *     def do_pending_lookups(sender, **kwargs):     # on class_prepared
 *         key = (sender._meta.app_label, sender.__name__)
 *         for cls, field, operation in pending_lookups.pop(key, []):
 *             operation(field, sender, cls)
 *
 * ModelBase.__new__ sends class_prepared (in _prepare) and only then
 * registers the class in the app cache. Thread 1 defines Book, whose
 * fields point to "library.Author" by name; thread 2 defines Author. If
 * Author's class_prepared pops the pending key between Book's get_model()
 * and its append -- or Book's get_model() runs between the pop and the
 * registration -- the operation lands in a list nobody will read again:
 * Book.author.rel.to stays the string "library.Author" for the life of the
 * process. Django was saved by the import lock, which serialised class
 * creation; models made outside an import are not.
 *
 * Python made each dict and list operation atomic; here a tiny `gil` mutex
 * does, so the containers never tear and the bug stays between the
 * operations, where Django had it. The app cache lookup is a plain load. */
#include "racelab.h"

enum { RACY, LOCKED };
enum { RESOLVED_DIRECT, RESOLVED_PENDING, LOST_OPERATION, RESOLVED_TWICE };
enum { AT_GET_MODEL, AT_APPEND, AT_PREPARE, AT_REGISTER };
#define RELATIONS 3 /* Book.author, Book.editor (ForeignKey), Book.translators (M2M) */

typedef struct {
    int ops[RELATIONS]; /* which of Book's relations wait here */
    int len;
} op_list; /* a Python list */

typedef struct {
    int author_registered;    /* the app cache: get_model("library", "Author") */
    op_list *pending;         /* pending_lookups[("library", "Author")]; NULL: no key */
    op_list lists[RELATIONS]; /* the list objects setdefault() makes */
    int n_lists;
    rl_mutex gil;            /* one container operation at a time */
    rl_mutex import_lock;    /* `locked`: class creation serialised */
    int resolved[RELATIONS]; /* times each relation's operation ran */
    int direct;              /* relations resolved at once by get_model() */
} app_cache;

/* ---- the containers, one operation each ---------------------------------- */

static op_list *pending_setdefault(app_cache *c)
{
    rl_mutex_lock(&c->gil);
    if (c->pending == NULL)
        c->pending = &c->lists[c->n_lists++];
    op_list *l = c->pending;
    rl_mutex_unlock(&c->gil);
    return l;
}

static void list_append(app_cache *c, op_list *l, int op)
{
    rl_mutex_lock(&c->gil);
    l->ops[l->len++] = op;
    rl_mutex_unlock(&c->gil);
}

static op_list *pending_pop(app_cache *c)
{
    rl_mutex_lock(&c->gil);
    op_list *l = c->pending;
    c->pending = NULL;
    rl_mutex_unlock(&c->gil);
    return l;
}

/* Iterating a list reads its length at every step, as Python's list
 * iterator does: an item appended during the loop is still run. */
static int list_get(app_cache *c, op_list *l, int i, int *op)
{
    rl_mutex_lock(&c->gil);
    int there = i < l->len;
    if (there)
        *op = l->ops[i];
    rl_mutex_unlock(&c->gil);
    return there;
}

/* ---- the component ------------------------------------------------------ */

/* operation(field, Author, Book): field.rel.to = Author */
static void resolve(app_cache *c, int relation) { c->resolved[relation]++; }

/* Thread 1: a field of Book names "library.Author". */
static void add_lazy_relation(app_cache *c, int relation)
{
    int model = c->author_registered; /* get_model("library", "Author", False) */
    RL_POINT(AT_GET_MODEL);
    if (model) {
        resolve(c, relation);
        c->direct++;
        return;
    }
    /* RACE: Author's class_prepared popped the key while this thread was
     * between get_model() and here (or popped it before get_model() ran
     * but had not registered Author yet): setdefault() makes a new list,
     * the append lands in it, and no class_prepared will ever pop it. */
    op_list *l = pending_setdefault(c);
    RL_POINT(AT_APPEND);
    list_append(c, l, relation);
}

/* Thread 2: ModelBase.__new__ for Author: _prepare() sends class_prepared,
 * then register_models() puts Author in the app cache. */
static void prepare_author(app_cache *c)
{
    op_list *l = pending_pop(c); /* do_pending_lookups: pending_lookups.pop(key, []) */
    int op;
    for (int i = 0; l != NULL && list_get(c, l, i, &op); i++)
        resolve(c, op);
    RL_POINT(AT_REGISTER);    /* the other class_prepared receivers */
    c->author_registered = 1; /* register_models("library", Author) */
}

static void define_book(void *state, int variant)
{
    app_cache *c = state;
    if (variant == LOCKED)
        rl_mutex_lock(&c->import_lock); /* `import books.models` holds the import lock */
    for (int r = 0; r < RELATIONS; r++)
        add_lazy_relation(c, r);
    if (variant == LOCKED)
        rl_mutex_unlock(&c->import_lock);
}

static void define_author(void *state, int variant)
{
    app_cache *c = state;
    RL_POINT(AT_PREPARE); /* building Author's Options and fields */
    if (variant == LOCKED)
        rl_mutex_lock(&c->import_lock); /* class_prepared and registration as one step */
    prepare_author(c);
    if (variant == LOCKED)
        rl_mutex_unlock(&c->import_lock);
}

static void init(void *state, int variant)
{
    app_cache *c = state;
    rl_mutex_init(&c->gil);
    rl_mutex_name(&c->gil, "GIL (one container operation)");
    if (variant == LOCKED) {
        rl_mutex_init(&c->import_lock);
        rl_mutex_name(&c->import_lock, "import lock");
    }
}

static void fini(void *state, int variant)
{
    app_cache *c = state;
    rl_mutex_destroy(&c->gil);
    if (variant == LOCKED)
        rl_mutex_destroy(&c->import_lock);
}

/* Every lazy relation resolved exactly once. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    app_cache *c = state;
    for (int r = 0; r < RELATIONS; r++)
        if (c->resolved[r] == 0)
            return LOST_OPERATION;
    for (int r = 0; r < RELATIONS; r++)
        if (c->resolved[r] > 1)
            return RESOLVED_TWICE;
    return c->direct == RELATIONS ? RESOLVED_DIRECT : RESOLVED_PENDING;
}

static const rl_outcome outcomes[] = {
    [RESOLVED_DIRECT] = {"resolved-direct", RL_ACCEPTABLE,
                         "Author was registered before Book's fields looked: resolved at once"},
    [RESOLVED_PENDING] = {"resolved-pending", RL_ACCEPTABLE,
                          "some relations waited in pending_lookups and Author's "
                          "class_prepared ran them"},
    [LOST_OPERATION] = {"lost-operation", RL_FORBIDDEN,
                        "a relation was appended after its key was popped: never resolved, "
                        "Book.author.rel.to stays a string"},
    [RESOLVED_TWICE] = {"resolved-twice", RL_FORBIDDEN, "a relation's operation ran twice"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "get_model() check, then setdefault().append(), with no lock"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "class creation under one lock, as the import lock serialised it"},
};

static const rl_point points[] = {
    [AT_GET_MODEL] = {"pending_lookups/get-model", RL_DELAY_POINT,
                      "between Book's get_model() miss and its setdefault()"},
    [AT_APPEND] = {"pending_lookups/append", RL_DELAY_POINT, "between setdefault() and append()"},
    [AT_PREPARE] = {"pending_lookups/prepare", RL_DELAY_POINT,
                    "building Author before class_prepared"},
    [AT_REGISTER] = {"pending_lookups/register", RL_DELAY_POINT,
                     "between Author's class_prepared (the pop) and register_models()"},
};

static const rl_scenario pending_lookups = {
    .name = "pending_lookups",
    .reference = "django/db/models/fields/related.py pending_lookups (Threading improvements "
                 "in Django, seeds/001: unsafe global dicts)",
    .summary = "a lazy relation added while its model is being prepared is never resolved",
    .actors = 2,
    .state_size = sizeof(app_cache),
    .init = init,
    .fini = fini,
    .actor = {define_book, define_author},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(pending_lookups)
