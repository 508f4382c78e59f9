"""The SQLite schema and its migrations.

`SCHEMA_VERSION` counts migrations; a database records the version it was built to in
`meta`, and opening it runs the missing steps in order, so a file made by an older
multivector keeps working. A database newer than this program is refused.
"""

from __future__ import annotations

SCHEMA_VERSION = 7

# Migration N takes a database from version N-1 to N.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE posts (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,            -- model.post_id(source, channel, message_id)
        source TEXT NOT NULL,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        author TEXT,
        date TEXT,                          -- ISO 8601, no offset; NULL when the source gave none
        url TEXT,
        lang TEXT,
        text TEXT NOT NULL,                 -- normalised
        text_raw TEXT,                      -- as the source gave it, when different
        forwarded_from TEXT,
        reply_to TEXT,
        edited TEXT,
        links TEXT,                         -- JSON list
        hashtags TEXT,                      -- JSON list
        media TEXT,
        views INTEGER,
        forwards INTEGER,
        origin TEXT,
        repeated_body INTEGER NOT NULL DEFAULT 0,
        revision TEXT NOT NULL,             -- hash of what the source said; a change means an edit
        content_hash TEXT,
        minhash BLOB,
        dup_root TEXT NOT NULL,             -- id of the earliest post of its duplicate group
        in_scope INTEGER,                   -- NULL until annotated
        annotated_with TEXT,                -- knowledge fingerprint of the last annotation
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX posts_date ON posts(date);
    CREATE INDEX posts_channel ON posts(channel, date);
    CREATE INDEX posts_content_hash ON posts(content_hash);
    CREATE INDEX posts_dup_root ON posts(dup_root);

    -- MinHash LSH bands: posts sharing a key are near-duplicate candidates.
    CREATE TABLE lsh (key INTEGER NOT NULL, post INTEGER NOT NULL);
    CREATE INDEX lsh_key ON lsh(key);
    CREATE INDEX lsh_post ON lsh(post);

    -- Full-text index over lemmas; rowid = posts.rowid.
    CREATE VIRTUAL TABLE posts_fts USING fts5(lemmas, tokenize = 'unicode61 remove_diacritics 0');

    CREATE TABLE mentions (
        post INTEGER NOT NULL, actor TEXT, kind TEXT NOT NULL,
        start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
    );
    CREATE INDEX mentions_post ON mentions(post);
    CREATE TABLE post_actors (actor TEXT NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (actor, post)) WITHOUT ROWID;
    CREATE INDEX post_actors_post ON post_actors(post);
    CREATE TABLE theme_hits (
        post INTEGER NOT NULL, theme TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
    );
    CREATE INDEX theme_hits_post ON theme_hits(post);
    CREATE TABLE post_themes (theme TEXT NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (theme, post)) WITHOUT ROWID;
    CREATE INDEX post_themes_post ON post_themes(post);

    -- One row per input file read to the end: what it held, for stats and audits.
    CREATE TABLE files (
        path TEXT PRIMARY KEY, format TEXT NOT NULL, posts INTEGER NOT NULL, new INTEGER NOT NULL,
        updated INTEGER NOT NULL, service INTEGER NOT NULL, problems INTEGER NOT NULL, read_at TEXT NOT NULL
    );

    -- Where live collection stopped, per source (feeds, Telegram channels).
    CREATE TABLE cursors (source TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    """,
    2: """
    -- Direct duplicate matches (a post and an earlier post it copies), so that duplicate
    -- groups can be rebuilt as of any date: analysis of a year must not see a later post
    -- that bridged two groups. Databases of schema 1 get one link per copy, to its root.
    CREATE TABLE dup_links (post INTEGER NOT NULL, other INTEGER NOT NULL);
    CREATE INDEX dup_links_post ON dup_links(post);
    CREATE INDEX dup_links_other ON dup_links(other);
    INSERT INTO dup_links(post, other)
        SELECT p.rowid, r.rowid FROM posts p JOIN posts r ON r.id = p.dup_root WHERE p.id <> p.dup_root;
    """,
    3: """
    -- What a post is about (its subjects), beside everything it mentions: `about` marks the
    -- actors and themes the post is about; `salience`/`score` say how strongly. The scope
    -- decision keeps its score and the reason that decided it; `genre` is the kind of text.
    ALTER TABLE posts ADD COLUMN scope_score REAL;
    ALTER TABLE posts ADD COLUMN scope_reason TEXT;
    ALTER TABLE posts ADD COLUMN genre TEXT;
    ALTER TABLE post_actors ADD COLUMN about INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE post_actors ADD COLUMN salience REAL;
    ALTER TABLE post_themes ADD COLUMN about INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE post_themes ADD COLUMN score REAL;
    -- Corrections an analyst made to a post's tags: applied over every later annotation.
    -- Keyed by the post's stable id (not rowid) so they travel between databases.
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        post TEXT NOT NULL,                 -- posts.id
        field TEXT NOT NULL,                -- actor | theme | scope
        value TEXT NOT NULL,                -- actor id, theme id, or "true"/"false" for scope
        action TEXT NOT NULL,               -- add | remove (scope: set)
        author TEXT,
        created_at TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX corrections_post ON corrections(post);
    """,
    4: """
    -- Why two posts are in one group: exact (same words), near (MinHash over word pairs) or
    -- reworded (a retelling: same actors and numbers, most content lemmas shared, within days;
    -- annotate/reworded.py). Links stored before this version are exact or near: their posts'
    -- content hashes tell which.
    ALTER TABLE dup_links ADD COLUMN kind TEXT NOT NULL DEFAULT 'near';
    UPDATE dup_links SET kind = 'exact' WHERE EXISTS (
        SELECT 1 FROM posts a JOIN posts b ON b.content_hash = a.content_hash
        WHERE a.rowid = dup_links.post AND b.rowid = dup_links.other);
    -- Band values of the lemma MinHash, salted with the post's actors and numbers, with the
    -- post's day (days since 1970-01-01): posts sharing a key within a few days are
    -- reworded-copy candidates.
    CREATE TABLE reword_lsh (
        key INTEGER NOT NULL, day INTEGER NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (key, day, post)
    ) WITHOUT ROWID;
    CREATE INDEX reword_lsh_post ON reword_lsh(post);
    """,
    5: """
    -- Reworded-copy keys ordered by week first: a new post's keys land beside those of the
    -- posts of its days, not all over the table, so writing them stays cheap however much the
    -- database holds. `week` is the day's week number (day // 7, rounded down).
    CREATE TABLE reword_lsh_by_week (
        week INTEGER NOT NULL, key INTEGER NOT NULL, day INTEGER NOT NULL, post INTEGER NOT NULL,
        PRIMARY KEY (week, key, day, post)
    ) WITHOUT ROWID;
    INSERT INTO reword_lsh_by_week(week, key, day, post)
        SELECT (day - ((day % 7) + 7) % 7) / 7, key, day, post FROM reword_lsh;
    DROP TABLE reword_lsh;
    ALTER TABLE reword_lsh_by_week RENAME TO reword_lsh;
    CREATE INDEX reword_lsh_post ON reword_lsh(post);
    """,
    6: """
    -- MinHash band keys of the newest posts. They move into `lsh`, in key order, a few hundred
    -- thousand at a time (store/sql.py): written one post at a time, keys that fall at random
    -- places of a large `lsh` index made every commit rewrite most of its pages.
    CREATE TABLE lsh_new (key INTEGER NOT NULL, post INTEGER NOT NULL);
    CREATE INDEX lsh_new_key ON lsh_new(key);
    CREATE INDEX lsh_new_post ON lsh_new(post);
    """,
    7: """
    -- Nothing changes in an SQLite file: version 7 rebuilt PostgreSQL's full-text index.
    """,
}


# The same versions for PostgreSQL (store/postgres.py): the same tables and columns, so every
# query of store/sql.py runs on both. Text is compared and sorted byte by byte (COLLATE "C"),
# as SQLite does, so lists come out in the same order; `rowid` is an ordinary identity column;
# the full-text index is a tsvector built from the same tokens as FTS5's (store/query.py).
POSTGRES_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE posts (
        rowid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        source TEXT COLLATE "C" NOT NULL,
        channel TEXT COLLATE "C" NOT NULL,
        message_id TEXT COLLATE "C" NOT NULL,
        author TEXT COLLATE "C",
        date TEXT COLLATE "C",
        url TEXT COLLATE "C",
        lang TEXT COLLATE "C",
        text TEXT COLLATE "C" NOT NULL,
        text_raw TEXT COLLATE "C",
        forwarded_from TEXT COLLATE "C",
        reply_to TEXT COLLATE "C",
        edited TEXT COLLATE "C",
        links TEXT COLLATE "C",
        hashtags TEXT COLLATE "C",
        media TEXT COLLATE "C",
        views BIGINT,
        forwards BIGINT,
        origin TEXT COLLATE "C",
        repeated_body INTEGER NOT NULL DEFAULT 0,
        revision TEXT COLLATE "C" NOT NULL,
        content_hash TEXT COLLATE "C",
        minhash BYTEA,
        dup_root TEXT COLLATE "C" NOT NULL,
        in_scope INTEGER,
        annotated_with TEXT COLLATE "C",
        ingested_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX posts_date ON posts(date);
    CREATE INDEX posts_channel ON posts(channel, date);
    CREATE INDEX posts_content_hash ON posts(content_hash);
    CREATE INDEX posts_dup_root ON posts(dup_root);

    CREATE TABLE lsh (key BIGINT NOT NULL, post BIGINT NOT NULL);
    CREATE INDEX lsh_key ON lsh(key);
    CREATE INDEX lsh_post ON lsh(post);

    CREATE TABLE posts_fts (rowid BIGINT PRIMARY KEY, lemmas TEXT COLLATE "C" NOT NULL, tsv TSVECTOR NOT NULL);
    CREATE INDEX posts_fts_tsv ON posts_fts USING GIN (tsv);

    CREATE TABLE mentions (
        post BIGINT NOT NULL, actor TEXT COLLATE "C", kind TEXT COLLATE "C" NOT NULL,
        start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX mentions_post ON mentions(post);
    CREATE TABLE post_actors (actor TEXT COLLATE "C" NOT NULL, post BIGINT NOT NULL, PRIMARY KEY (actor, post));
    CREATE INDEX post_actors_post ON post_actors(post);
    CREATE TABLE theme_hits (
        post BIGINT NOT NULL, theme TEXT COLLATE "C" NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        text TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX theme_hits_post ON theme_hits(post);
    CREATE TABLE post_themes (theme TEXT COLLATE "C" NOT NULL, post BIGINT NOT NULL, PRIMARY KEY (theme, post));
    CREATE INDEX post_themes_post ON post_themes(post);

    CREATE TABLE files (
        path TEXT COLLATE "C" PRIMARY KEY, format TEXT COLLATE "C" NOT NULL, posts INTEGER NOT NULL,
        new INTEGER NOT NULL, updated INTEGER NOT NULL, service INTEGER NOT NULL, problems INTEGER NOT NULL,
        read_at TEXT COLLATE "C" NOT NULL
    );

    CREATE TABLE cursors (source TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    """,
    2: """
    CREATE TABLE dup_links (post BIGINT NOT NULL, other BIGINT NOT NULL);
    CREATE INDEX dup_links_post ON dup_links(post);
    CREATE INDEX dup_links_other ON dup_links(other);
    INSERT INTO dup_links(post, other)
        SELECT p.rowid, r.rowid FROM posts p JOIN posts r ON r.id = p.dup_root WHERE p.id <> p.dup_root;
    """,
    3: """
    ALTER TABLE posts ADD COLUMN scope_score DOUBLE PRECISION;
    ALTER TABLE posts ADD COLUMN scope_reason TEXT COLLATE "C";
    ALTER TABLE posts ADD COLUMN genre TEXT COLLATE "C";
    ALTER TABLE post_actors ADD COLUMN about INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE post_actors ADD COLUMN salience DOUBLE PRECISION;
    ALTER TABLE post_themes ADD COLUMN about INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE post_themes ADD COLUMN score DOUBLE PRECISION;
    CREATE TABLE corrections (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        post TEXT COLLATE "C" NOT NULL,
        field TEXT COLLATE "C" NOT NULL,
        value TEXT COLLATE "C" NOT NULL,
        action TEXT COLLATE "C" NOT NULL,
        author TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        note TEXT COLLATE "C"
    );
    CREATE INDEX corrections_post ON corrections(post);
    """,
    4: """
    ALTER TABLE dup_links ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'near';
    UPDATE dup_links SET kind = 'exact' WHERE EXISTS (
        SELECT 1 FROM posts a JOIN posts b ON b.content_hash = a.content_hash
        WHERE a.rowid = dup_links.post AND b.rowid = dup_links.other);
    CREATE TABLE reword_lsh (
        key BIGINT NOT NULL, day INTEGER NOT NULL, post BIGINT NOT NULL, PRIMARY KEY (key, day, post)
    );
    CREATE INDEX reword_lsh_post ON reword_lsh(post);
    """,
    5: """
    CREATE TABLE reword_lsh_by_week (
        week INTEGER NOT NULL, key BIGINT NOT NULL, day INTEGER NOT NULL, post BIGINT NOT NULL,
        PRIMARY KEY (week, key, day, post)
    );
    INSERT INTO reword_lsh_by_week(week, key, day, post)
        SELECT floor(day / 7.0)::integer, key, day, post FROM reword_lsh;
    DROP TABLE reword_lsh;
    ALTER TABLE reword_lsh_by_week RENAME TO reword_lsh;
    ALTER INDEX reword_lsh_by_week_pkey RENAME TO reword_lsh_pkey;
    CREATE INDEX reword_lsh_post ON reword_lsh(post);
    """,
    6: """
    CREATE TABLE lsh_new (key BIGINT NOT NULL, post BIGINT NOT NULL);
    CREATE INDEX lsh_new_key ON lsh_new(key);
    CREATE INDEX lsh_new_post ON lsh_new(post);
    """,
    # The index's lexemes carry their post's bucket, and word pairs are lexemes too
    # (store/postgres.py): every post's entry is made again from its lemmas, by
    # PostgresStore._rebuild_fts, into this table, which then takes posts_fts's place. Search
    # ranks thousands of rows' tsvectors at a time: they stay in the row, uncompressed, and the
    # lemmas (read only by analysis) are the column moved out when a row is too long.
    7: """
    CREATE TABLE posts_fts_v7 (rowid BIGINT PRIMARY KEY, lemmas TEXT COLLATE "C" NOT NULL, tsv TSVECTOR NOT NULL);
    ALTER TABLE posts_fts_v7 ALTER COLUMN lemmas SET STORAGE EXTERNAL, ALTER COLUMN tsv SET STORAGE MAIN;
    """,
}
