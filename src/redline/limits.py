"""The limits on what redline stores, parses and holds in memory, in one place.

Every transcript is hostile input: these bounds keep one crafted file from taking the memory,
the disk or the time of a whole run. The README's "Limits worth knowing" states each one. Where
a limit cuts something, the cut says so (a marker in the text, a ``parse_error``, a warning in
``ingested_files.error``); nothing is cut silently.

Enforced where the data passes, each in one place:

* stored columns: :mod:`redline.convert`, where every database row is built;
* the shell parser's budget: :func:`redline.shell.parse`;
* the loader's batches and DuckDB memory: :mod:`redline.ingest.loader`;
* classify's batches, output window and read: :mod:`redline.classifiers.reading`; its DuckDB memory and inserts: :mod:`redline.classifiers.store` (and
  :func:`redline.classifiers.frames.window_outputs` for frames built in memory).
* what a learned model reads of a step: :mod:`redline.classifiers.models.inputs`; the weak
  supervision ``redline train`` adds: :mod:`redline.classifiers.training`;
* the similar-step index: :mod:`redline.similar`;
* datasets and the Ray engine: :mod:`redline.dataset.layout` (shards), :mod:`redline.dataset.store`
  (the manifest), :mod:`redline.distributed` (tasks, retries, commits).

The format adapters' own limits (file and document sizes, zip archives, terminal recordings)
are in :mod:`redline.ingest.limits`.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- stored columns

#: characters of a long text kept (events.text; commands.text, heredoc and code); longer texts
#: are cut with a marker saying how much was left out
MAX_TEXT_CHARS = 1_000_000
#: trials.model, agent and scenario; events.tool
MAX_NAME_CHARS = 500
#: trials.task
MAX_TASK_CHARS = 2_000
#: events.source_pointer
MAX_POINTER_CHARS = 2_000
#: commands.program
MAX_PROGRAM_CHARS = 1_000
#: commands.path, and each of commands.redirects
MAX_WORD_CHARS = 4_000
#: each element of commands.argv
MAX_ARG_CHARS = 100_000
#: elements of commands.argv (and of commands.redirects) kept; a last element says how many
#: more there were
MAX_ARGS = 10_000
#: events.attrs as JSON text; a larger value keeps its structure with long strings cut, or,
#: failing that, a note and the start of its JSON
MAX_ATTRS_CHARS = 100_000
#: trials.metadata as JSON text (cut the same way)
MAX_METADATA_CHARS = 1_000_000
#: trials.source_verdict as JSON text (cut the same way)
MAX_VERDICT_CHARS = 100_000
#: JSON nested deeper than this is stored as a note instead (a trial's metadata, an event's attrs)
MAX_JSON_DEPTH = 64

# --------------------------------------------------------------------------- the shell parser

#: longer command lines are cut to this many characters before parsing
MAX_LINE_CHARS = 200_000
#: a command line with more ``|`` characters is parsed only up to the one past this count:
#: tree-sitter's error recovery on a long unfinished pipeline (``cat|cat|...|``) takes memory
#: growing with the square of its length, and cannot be interrupted
MAX_PIPES = 2_000
#: wall-clock seconds tree-sitter may spend on one command line (all its nested strings
#: together); past it the parse is cancelled and rules match the line's text instead
PARSE_SECONDS = 2.0
#: deepest nesting (substitution, bash -c, eval, heredoc, subshell, xargs) that is descended into
MAX_DEPTH = 8
#: simple commands recorded for one command line; the rest are left out with a parse error
MAX_COMMANDS = 10_000
#: command lines up to this many bytes are parsed without the time budget (they parse in
#: milliseconds); longer ones under it
UNBUDGETED_BYTES = 4096
#: after this many lines of one file ran out of parse time, its later lines over
#: :data:`UNBUDGETED_BYTES` are not given to tree-sitter at all, so a file of pathological lines costs seconds, not hours
MAX_PARSE_TIMEOUTS = 5
#: parses of command lines up to this long are cached (agents repeat many short lines)...
MAX_CACHED_LINE_CHARS = 2_000
#: ...and the cache holds at most this many characters of lines and commands
MAX_CACHE_CHARS = 32 * 1024**2
#: commands recorded from one file; past it, actions keep their text and a parse error saying so
MAX_FILE_COMMANDS = 1_000_000

# --------------------------------------------------------------------------- conversion and loading

#: events converted before the pending columns become an Arrow record batch...
FLUSH_EVENTS = 20_000
#: ...or commands...
FLUSH_COMMANDS = 100_000
#: ...or characters of text, whichever comes first (a record batch's strings must stay under
#: Arrow's 2 GiB per column)
FLUSH_CHARS = 64 * 1024**2
#: the loader writes to the database once this many events are waiting (DuckDB's memory while
#: it inserts grows with the batch: 20,000 events of Inspect logs peaked 50 MB lower than 50,000)...
BATCH_EVENTS = 20_000
#: ...or this many files...
BATCH_FILES = 500
#: ...or about this many bytes of Arrow data (text and eight bytes a value, as the rows are built)
BATCH_BYTES = 256 * 1024**2
#: batches read and waiting for ingest's writer thread (:mod:`redline.ingest.writer`; only when
#: the ingest process reads the files itself), beside the one it writes and the one being read:
#: reading goes on while DuckDB writes, and the rows waiting stay bounded
WRITE_AHEAD = 1
#: Python's thread switch interval (seconds) while ingest's writer thread runs (never longer than
#: it was; restored after): DuckDB takes Python's lock back for moments while it reads a batch's
#: rows, and at Python's default (0.005 s) each moment waited for the reading thread to let go,
#: so an insert took ten times as long beside the reading as alone
INGEST_SWITCH_INTERVAL = 0.0002
#: DuckDB's memory while ingest writes (lower than the connection's cap, never higher): each
#: batch is written and done with, and its buffer pool would otherwise keep the blocks already
#: written up to the connection's cap, so ingest's memory would grow with the corpus
INGEST_DUCKDB_MEMORY = "256MB"
#: DuckDB's threads while ingest writes: a batch's insert measured faster on one thread than on
#: two (benchmarks/run.py, on two cores), and the parsing process needs the other core
INGEST_DUCKDB_THREADS = 1
#: DuckDB checkpoints while ingest writes once its write-ahead log holds this much (its default
#: is 16 MB), when worker processes read the files: a checkpoint compresses the last row group
#: of each table again, with the rows an earlier checkpoint wrote, and at the default every
#: batch made one (writing took a third more CPU, and the writer is then the busiest); committed
#: rows wait in DuckDB's buffer pool until the checkpoint, within :data:`INGEST_DUCKDB_MEMORY`.
#: When ingest reads the files itself, its writer thread waits for the reading: it checkpoints
#: at DuckDB's default, beside the reading, and leaves less to the last checkpoint, which
#: nothing runs beside (1,000 Inspect samples: about 0.1 s less, and 10 MB less memory), unless
#: the files add up to :data:`INGEST_CHECKPOINT_MIN_BYTES`
INGEST_CHECKPOINT_WAL = "128MiB"
#: files read by the ingest process itself that add up to this many bytes are checkpointed at
#: :data:`INGEST_CHECKPOINT_WAL` too: past a few batches, checkpointing each one costs more
#: CPU than the writer thread hides (2,000 trajectories, 540 MB, one worker: 6.9 CPU s against
#: 7.5 at DuckDB's default); a small ingest is faster at the default (the Scout-like logs, 3.5 MB)
INGEST_CHECKPOINT_MIN_BYTES = 64 * 1024**2
#: Python's garbage-collector thresholds while ingest reads and writes (generation 0, 1, 2;
#: restored after): reading makes millions of short-lived objects and keeps a growing parse
#: cache, and at the default (700, 10, 10) the full collections that walk every live object
#: took about a fifth of a worker's time (benchmarks/run.py), and at 10,000 young objects a
#: tenth of reading Inspect logs still went to collections of the JSON just parsed; ingest's
#: objects hold no reference cycles worth collecting sooner (they are freed by reference counting)
INGEST_GC_THRESHOLDS = (100_000, 50, 1_000)
#: ingest starts worker processes (on two cores or more, unless ``--workers`` says how many)
#: only for at least this many files...
PARALLEL_MIN_FILES = 8
#: ...adding up to at least this many bytes: below it, starting the workers and shipping the
#: rows back costs about what parsing on a second core saves
PARALLEL_MIN_BYTES = 64 * 1024**2
#: at most this many worker processes (one per core up to it)
PARALLEL_MAX_WORKERS = 8
#: a worker's task: consecutive files, at most this many...
PARALLEL_CHUNK_FILES = 64
#: ...and at most this many bytes of them (a larger file is a task of its own); its rows travel
#: back as one Arrow table per kind, at the speed of copying them (many small tables cost more
#: to pickle than their bytes)
PARALLEL_CHUNK_BYTES = 8 * 1024**2
#: tasks handed to the workers ahead of the one being written, per worker: the workers go on
#: parsing while the writer inserts, and the rows waiting for the writer stay bounded
PARALLEL_AHEAD = 3

# --------------------------------------------------------------------------- classifying

#: characters of evidence a label keeps (its span locates the whole match in the stored text)
EVIDENCE_CHARS = 500
#: ...and a learned model's label or suggestion: the head of the step's text
MODEL_EVIDENCE_CHARS = 200
#: characters of a long output's head and tail that rules read; an output longer than twice
#: this (plus the marker between the two) is cut in the query that reads it, so it never
#: reaches the classifiers whole
OUTPUT_WINDOW = 32_768
#: at most this many trials per classification batch (``redline classify --batch-trials``)...
CLASSIFY_BATCH_TRIALS = 2000
#: ...and at most this many characters of text, counted as the batch reads them (a long output
#: as its head and tail): a batch ends before it would pass this, so memory stays bounded by
#: the batch, whatever the corpus; a single trial over it is a batch of its own
CLASSIFY_BATCH_CHARS = 32_000_000
#: ...and at most this many rows (events and commands together): a batch's memory grows with
#: its rows as well as its text (every frame the rules build holds each row's keys and columns:
#: about half a kilobyte a row, short texts and all, for Inspect logs of bash calls), so trials
#: of many short steps are cut here where their characters would not be; a single trial over it
#: is a batch of its own. Each batch also costs a fixed pass (the rules' some 400 small polars
#: queries, their regexes compiled again where no earlier batch answered a test's values,
#: :data:`RULE_ANSWERS_ROWS`, and the batch's read: about 0.13 CPU s a batch on Inspect logs
#: whose commands repeat, the rules' part about 0.07 s), so smaller batches trade time for memory
CLASSIFY_BATCH_ROWS = 250_000
#: PROC-KILL's tracing converts a batch's launch commands, actions and outputs to Python this many
#: rows at a time (a run of whole trials, or one trial over it), each run dropped before the next:
#: all of a batch's at once held about 17 MB of Python objects for 1,000 Inspect trials (24 MB for
#: a batch of 1,882 trials of a million actions; 6.7 MB in runs of this size), and left their
#: memory fragmented for the rest of the batch. A run costs one slice and one list per column:
#: its CPU is the same as all at once from 256 to 16,384 rows (larger runs hold more)
KILL_TRACE_CHUNK_ROWS = 1024
#: a batch's labels are inserted this many rows at a time, DuckDB's freed memory handed back
#: after each: DuckDB's insert holds about three times what it inserts until then (58,767 labels
#: of 1,000 Inspect trials in one insert: +23 to +33 MB, the classify's peak 8 MB higher; 25,000
#: at a time: +17 to +20 MB; 10,000 at a time: the inserts' peak about 7 MB lower again, 5,000
#: hardly lower still). Each insert costs about 5 ms of its own, so not fewer rows
CLASSIFY_WRITE_ROWS = 10_000
#: a batch's rows read from the database are copied out of DuckDB's result each distinct long
#: string once, but a column holding fewer bytes of strings than this is copied row by row: the
#: search for its distinct strings (three polars operations, about 0.3 ms each) costs a small
#: batch more than it saves (at most this many bytes, held until the batch's frames go; the
#: copying of a 10-trial Inspect batch's trials and commands went from 4.1 to 1.5 ms)
DISTINCT_COPY_BYTES = 64 * 1024
#: DuckDB's memory during a classify run (lower than the connection's cap, never higher): each
#: batch's rows only pass through it, and its buffer pool would otherwise keep table blocks read
#: by earlier batches up to the connection's cap
CLASSIFY_DUCKDB_MEMORY = "256MB"
#: ...and for an instant after each batch is read (and after the sizes of the batches are), so
#: its buffer pool lets go of the table blocks it read: a batch's blocks are read once (the
#: batches follow the order the trials are stored in), and they sat, up to the cap above, beside
#: the batch's frames (about 100 MB of a 540 MB classify of 3,333 trials of 100,000 actions).
#: Rows not yet written to the database file (labels of earlier batches) go to DuckDB's
#: temporary files meanwhile (about 3 MB there). ``redline ingest --classify`` does the same
#: between the two, so the blocks the ingest wrote (they are in the file) go before the classify
CLASSIFY_EVICT_MEMORY = "1MB"
#: ...and while a batch is read (and while the sizes of the batches are): the table blocks a read
#: scans pass through DuckDB's buffer pool, which kept them, up to the cap above, until the read
#: ended (a batch of long outputs read them whole to cut them: about 140 MB of DuckDB's memory
#: for 600 trials of a 0.5 GB corpus, about 90 MB under 64 MB, 70 MB under 32 MB). A read that
#: runs out of memory under it (16 MB was too little for that corpus) is read again under the
#: cap above
CLASSIFY_READ_MEMORY = "64MB"
#: how polars' memory allocator (jemalloc, in its Linux builds) keeps freed memory: in one arena
#: for all threads (its default, one per thread up to four per core, keeps what one thread freed
#: from the others), and handed back to the system 25 ms after it was freed (its default: about
#: ten seconds). A classify builds a batch's frames, the rules' intermediate frames and the
#: models' inputs and drops each within a second, so with the defaults the pages of what was
#: already dropped stayed resident beside the next stage: about 30 MB of a 330 MB peak for
#: 1,000 Inspect trials, for a few per cent more CPU (handing memory back at once saved about
#: 10 MB more there for 5% more CPU, but cost a million actions 40% more CPU in page faults). The ``redline`` command sets it
#: (``_RJEM_MALLOC_CONF``, jemalloc's own setting in polars' build) before polars is loaded,
#: unless the environment already sets that variable (polars' own defaults, inherited from a parent
#: that imported polars, excepted: :func:`redline.cli.allocator_setting`); from Python, set it
#: before importing polars
POLARS_ALLOCATOR = "narenas:1,dirty_decay_ms:25,muzzy_decay_ms:0"
#: glibc's ``mallopt`` settings (bytes) for the memory that goes through the C library's allocator
#: (Python's large objects, DuckDB's objects and some of its query results' buffers; not polars'
#: nor DuckDB's data, which have allocators of their own, jemalloc, in their Linux builds):
#: blocks from 128 KiB up are mapped apart and handed back when freed, and a heap's free top past
#: 128 KiB is trimmed. These are glibc's initial values, but it raises both to the largest block
#: freed so far (up to 32 MiB), keeping later blocks freed in its heaps: about 15 MB of them stayed
#: resident after a batch's read, through its rules. The ``redline`` command applies them when it
#: classifies, not for an ingest, which allocates large blocks all the time (mapping each apart
#: cost it about a third more wall time) (:func:`redline.allocators.tune_c_malloc`; not where the C library is not glibc, nor a
#: setting the environment made with glibc's ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_``)
C_MALLOC = {"M_MMAP_THRESHOLD": 128 * 1024, "M_TRIM_THRESHOLD": 128 * 1024}
#: a rule's regex test over a frame of at most this many rows (the distinct commands that run
#: some programs, the distinct values of a column) is evaluated only on the values no earlier
#: batch of the run tested (:mod:`redline.classifiers.answers`): polars compiles each regex again
#: every time it runs (it keeps 32 per thread; the rules use about 300, a millisecond apiece), so
#: a batch whose values were all seen before skips that cost. Larger frames are filtered whole
RULE_ANSWERS_ROWS = 1000
#: ...and the answers kept for later batches hold about this many bytes at most (values and
#: entries); past it new answers are computed but no longer kept
RULE_ANSWERS_BYTES = 2 * 1024**2
#: how many compiled regexes polars keeps in each of its threads (the last ones compiled
#: there): after a batch's rules ran, classify pushes them out with as many tiny ones
#: (:func:`~redline.classifiers.expressions.release_regexes`)...
POLARS_KEPT_REGEXES = 32
#: ...in the calling thread, and in this many queries spread over polars' pool
REGEX_RELEASE_PASSES = 3
#: a batch's distinct commands (what the command rules read, each once) are found this many
#: command rows at a time, then merged: polars' grouping by a command's many columns holds about
#: four times their size for a moment (1,000 Inspect trials' 59,000 commands, 37 of them
#: distinct: a 25 MB peak at once, 4 MB in pieces, for less CPU; where most commands differ, as
#: much as at once, for about a quarter more of its CPU)
DISTINCT_CHUNK_ROWS = 8192
#: a command rule's conjuncts about where a command is (its step's context, a neighbouring
#: command) are evaluated over every command row of a batch of at most this many (once per
#: batch, shared by every rule); in a larger batch, those that look within a step only over the
#: steps of the rows a rule's other tests kept, while they are few: each such evaluation costs
#: several polars queries, about 2 ms a rule that reaches them in a batch of 10 trials, while
#: every row of such a batch costs less than one
PLACE_WHOLE_ROWS = 10_000
#: a command rule's OR-branches are distributed over an AND up to this many branches; past it
#: both sides are evaluated whole, so a rule's plan stays small
MAX_BRANCHES = 64

# --------------------------------------------------------------------------- learned models and similar steps

#: characters of each input a learned model reads (the head of a longer text is kept): ``text``
#: the message itself, ``command`` an action's command line, and the context inputs ``prev``
#: (the observation before a message), ``task`` (the trial's task) and ``thought`` (the agent's
#: last message before an action)
MODEL_INPUT_CHARS: dict[str, int] = {"text": 4000, "prev": 1500, "task": 1500, "command": 2000, "thought": 2000}
#: hashed n-gram occurrences a model's scorer expands at once (about 56 bytes each while a slice of
#: a batch's distinct inputs is counted): the counts are the same, a batch's inputs are counted in
#: slices of whole inputs, so the memory a model's counting takes stays bounded whatever the batch
#: (expanded whole, a batch of 2,000 trials of short commands took about 470 MB)
MODEL_NGRAMS_AT_ONCE = 1_000_000
#: distinct words whose character n-grams are cut and hashed at once (each n-gram a Python
#: string of about 55 bytes while it is hashed, some 50 of them for a word of 20 characters)
MODEL_WORDS_AT_ONCE = 4_000
#: rule-labelled rows ``redline train`` adds as weak supervision at most (a fixed sample of them
#: beyond that), so training on a large database keeps its memory bounded
MAX_WEAK_ROWS = 200_000
#: characters of a step's text the similar-step index reads (its build and every query)
SIMILAR_TEXT_CHARS = 2_000
#: steps read and vectorised at a time while the similar-step index is built
SIMILAR_BUILD_BATCH = 50_000

# --------------------------------------------------------------------------- datasets and Ray

#: a dataset shard holds at most this many bytes of transcript files (input size; one larger
#: file makes a shard of its own)...
SHARD_BYTES = 64 * 2**20
#: ...and at most this many files (``redline ingest --out --shard-mb`` changes the bytes)
SHARD_FILES = 1000
#: the largest manifest a writer commits and a view reads (DuckDB's ``read_json`` reserves twice
#: this per read): about 30,000 shards, 2 TB of transcripts at the default shard size
MANIFEST_MAX_BYTES = 32 * 2**20
#: CPUs a Ray task asks for; its polars and DuckDB get as many threads, so tasks never
#: oversubscribe a node
TASK_CPUS = 1
#: seconds ``--ray-address HOST:PORT`` (or ``ray://HOST:PORT``) is given to accept a TCP
#: connection before Ray is asked to join it: an unreachable cluster fails in seconds, naming
#: the address, instead of after Ray's own minutes of retries
RAY_CONNECT_TIMEOUT_S = 5.0
#: runs of a Ray task whose worker died, after the first (Ray's ``max_retries``); a shard that
#: dies on every run is split into one task per file
TASK_RETRIES = 3
#: a finished shard is committed at once if the last commit is older than this (seconds),
#: else with the next one
COMMIT_SECONDS = 2.0
#: a dataset classify records its finished shards in the manifest this often (seconds), so an
#: interrupted run is resumed from there
PROGRESS_SECONDS = 5.0
