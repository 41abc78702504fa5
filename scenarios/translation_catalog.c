/* translation_catalog — en-us and en-gb loaded at once share one catalog
 * (django/utils/translation/trans_real.py `_translations`; the wiki's
 * "continue review here", Threading improvements in Django, seeds/001).
 *
 * The component (Django 1.0, translation(language) -> _fetch(lang)):
 *
 *     res = _translation(globalpath)     # gettext.translation(): gettext's
 *                                        # own cache hands en_US and en_GB
 *                                        # the same "en" object
 *     # We want to ensure that, for example, "en-gb" and "en-us" don't
 *     # share the same translation object ...
 *     if base_lang(lang) in [base_lang(trans) for trans in _translations]:
 *         res._info = res._info.copy()
 *         res._catalog = res._catalog.copy()
 *     for path in LOCALE_PATHS + app paths + project path:
 *         res = _merge(path)             # res.merge(t): reads a .mo (slow)
 *     _translations[lang] = res          # stored only when complete
 *
 * The guard looks for a sibling language in `_translations`, but a sibling
 * is stored there only after all its merges. Two requests, one in en-us
 * and one in en-gb, load at once: neither sees the other, neither copies,
 * and both merge into gettext's one object. "colour" turns into "color" on
 * the British site, or the other way round, for the life of the process.
 *
 * The fix: copy gettext's catalog before merging, always (what Django's
 * later DjangoTranslation does), so the shared object is never written.
 *
 * A catalog here maps MSGIDS message ids to strings; a string is encoded as
 * 100 * language + msgid (language 0 is the shared "en" core). The site's
 * own catalogs (MERGES of them) translate the first TRANSLATED ids for both
 * languages, so a sequential load is always right and only the race shows. */
#include "racelab.h"

enum { RACY, FIXED };
enum { OK, UNTRANSLATED_FALLBACK, FOREIGN_STRING };
enum { AT_LOAD, AT_READ_MO, AT_RENDER };
enum { CORE, EN_US, EN_GB }; /* string tags: 100 * tag + msgid */
#define LANGS 2              /* actor 0 asks for en-us, actor 1 for en-gb */
#define MSGIDS 8
#define MERGES 3     /* LOCALE_PATHS, one installed app, the project */
#define TRANSLATED 6 /* ids 0..5 are in the site's catalogs, two per merge */
#define PER_MERGE (TRANSLATED / MERGES)

typedef struct {
    int msgstr[MSGIDS];
} catalog;

typedef struct {
    catalog gettext_en;           /* gettext's cache: the "en" object */
    catalog copies[LANGS];        /* res._catalog.copy() */
    catalog *translations[LANGS]; /* trans_real._translations */
    int merged[LANGS][MERGES];    /* 1: that .mo was read and merged */
    int rendered[LANGS][MSGIDS];  /* what the request's page showed */
} translation_state;

static int tag_of(int lang) { return lang == 0 ? EN_US : EN_GB; }

/* _merge(path): read one .mo (slow; can fail) and update res with it. */
static void merge(translation_state *s, catalog *res, int lang, int step)
{
    if (RL_FAULT(AT_READ_MO))
        return; /* IOError: _translation() returns None, the catalog is skipped */
    for (int id = step * PER_MERGE; id < (step + 1) * PER_MERGE; id++)
        res->msgstr[id] = 100 * tag_of(lang) + id; /* res.merge(t) */
    s->merged[lang][step] = 1;
}

static catalog *translation_racy(translation_state *s, int lang)
{
    if (s->translations[lang] != NULL)
        return s->translations[lang];
    catalog *res = &s->gettext_en; /* _translation(globalpath) */
    RL_POINT(AT_LOAD);
    /* RACE: the sibling is still merging, so it is not in _translations
     * yet: neither request copies, both merge into gettext's one object,
     * and each language ends up with whichever strings were merged last. */
    int sibling = s->translations[1 - lang] != NULL; /* base_lang(lang) in ... */
    if (sibling) {
        s->copies[lang] = *res;
        res = &s->copies[lang];
    }
    for (int step = 0; step < MERGES; step++)
        merge(s, res, lang, step);
    s->translations[lang] = res;
    return res;
}

static catalog *translation_fixed(translation_state *s, int lang)
{
    if (s->translations[lang] != NULL)
        return s->translations[lang];
    RL_POINT(AT_LOAD);
    /* copy before merge, always: gettext's object is only ever read */
    s->copies[lang] = s->gettext_en;
    catalog *res = &s->copies[lang];
    for (int step = 0; step < MERGES; step++)
        merge(s, res, lang, step);
    s->translations[lang] = res; /* only this language's requests read it */
    return res;
}

/* A request in one language: activate it and render a page. */
static void request(void *state, int variant)
{
    translation_state *s = state;
    int lang = rl_self();
    catalog *t = variant == RACY ? translation_racy(s, lang) : translation_fixed(s, lang);
    RL_POINT(AT_RENDER);
    for (int id = 0; id < MSGIDS; id++)
        s->rendered[lang][id] = t->msgstr[id]; /* ugettext(msgid) */
}

static void init(void *state, int variant)
{
    (void)variant;
    translation_state *s = state;
    for (int id = 0; id < MSGIDS; id++)
        s->gettext_en.msgstr[id] = 100 * CORE + id; /* django/conf/locale/en */
}

/* What a language should show for an id: its own string when the .mo
 * that translates it was merged, the core English one otherwise. */
static int expected(const translation_state *s, int lang, int id)
{
    if (id < TRANSLATED && s->merged[lang][id / PER_MERGE])
        return 100 * tag_of(lang) + id;
    return 100 * CORE + id;
}

static int arbiter(void *state, int variant)
{
    (void)variant;
    translation_state *s = state;
    int fallback = 0;
    for (int lang = 0; lang < LANGS; lang++) {
        const catalog *t = s->translations[lang];
        for (int id = 0; id < MSGIDS; id++) {
            int want = expected(s, lang, id);
            if (t == NULL || t->msgstr[id] != want || s->rendered[lang][id] != want)
                return FOREIGN_STRING;
        }
        for (int step = 0; step < MERGES; step++)
            fallback |= !s->merged[lang][step];
    }
    return fallback ? UNTRANSLATED_FALLBACK : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "each language shows exactly its own strings"},
    [UNTRANSLATED_FALLBACK] = {"untranslated-fallback", RL_ACCEPTABLE,
                               "a .mo read failed (injected); that catalog's messages fall back "
                               "to the core English strings, no foreign one"},
    [FOREIGN_STRING] = {"foreign-string", RL_FORBIDDEN,
                        "a language's catalog or page holds another language's string "
                        "(en-gb shows en-us text): both merged into one shared catalog"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "copy only if a sibling language is already in _translations, then merge"},
    [FIXED] = {"fixed", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
               "copy gettext's catalog before merging, always"},
};

static const rl_point points[] = {
    [AT_LOAD] = {"translation_catalog/load", RL_DELAY_POINT,
                 "reading the core django.mo, before the copy guard"},
    [AT_READ_MO] = {"translation_catalog/read-mo", RL_FAULT_POINT,
                    "reading one site catalog to merge (slow; IOError when injected)"},
    [AT_RENDER] = {"translation_catalog/render", RL_DELAY_POINT,
                   "between loading and rendering the page"},
};

static const rl_scenario translation_catalog = {
    .name = "translation_catalog",
    .reference = "django/utils/translation/trans_real.py _translations (Threading "
                 "improvements in Django, seeds/001: \"continue review here\")",
    .summary = "en-us and en-gb loaded at once both merge into gettext's shared catalog",
    .actors = LANGS,
    .state_size = sizeof(translation_state),
    .init = init,
    .actor = {request, request},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(translation_catalog)
