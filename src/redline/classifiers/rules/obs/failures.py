"""Observations that the action itself failed: malformed commands or code (OBS-SYNTAX), and any
other clear failure no specific observation rule explains (OBS-OTHER-ERROR).

OBS-OTHER-ERROR fires on a clear failure (an uncaught traceback, failing tests or checks, a
failure in the agent's own words, a silent kill, an error exit), not on what the agent only read,
not on what a specific rule labels (:data:`SPECIFIC_RULES`), and not when the agent deliberately
reproduced a bug (:mod:`.intent`).
"""

from __future__ import annotations

import polars as pl

from ...engine import rule_hits
from ...frames import per_batch
from ...matching import match_rows
from ...rule import Match, Rule, failed, output
from .content import read_only_actions
from .environment import OBS_HARDWARE, OBS_NETWORK, OBS_OOM, OBS_PERM, OBS_PORT, OBS_TIMEOUT
from .fallbacks import reports_of
from .intent import deliberate, turn_texts_of
from .missing import OBS_CMD_MISSING, OBS_DEP_CONFLICT, OBS_FILE_MISSING, OBS_MODULE_MISSING
from .outputs import SERVICE_BUS_FAILURE, agent_observations, matching, text_matches, with_evidence

# ----------------------------------------------------------------------------- OBS-SYNTAX

SYNTAX_PATTERN = (
    r"((?m:^\s*(?:[\w.]+\.)?(?:SyntaxError|IndentationError|TabError)\b)|(?i:syntax error(?: near| in |:| at |,))|"
    r"unexpected EOF while looking for matching|"
    r"(?m:^[\w./-]+: (?:(?:unrecogni[sz]ed|invalid|illegal|unknown) option|option requires an argument))|"
    r"(?m:^(?:Error: )?unknown (?:shorthand )?flag)|unrecognized arguments:|(?m:^[Uu]nknown command\b)|"
    r"(?i:is not a \w+ command)|bad substitution|\bE999\b|has introduced new syntax error|"
    r"(?m:^[\w./-]+: missing (?:file )?operand)|(?m:^Try '[^\n']+ --help' for more information)|"
    r"(?m:^[\w./-]+: error: the following arguments are required)|"
    r"(?m:^[\w./-]+: error: argument [^\n]*: invalid choice)|unterminated `s' command|unknown option to `s'|"
    r"syntax error near unexpected token|(?m:^[\w./-]+: missing argument to )|invalid signal specification|"
    r"here-document at line \d+ delimited by end-of-file|parse error near |contained syntax errors and was NOT executed|"
    r"Invalid requirement: |(?m:^[\w./-]+: invalid argument '[^\n']*' for '-))"
)
_USAGE = r"(?m)^[Uu]sage: "
_HELP_REQUESTED = r"(?:^|\s)(?:-h|--help|help)(?:\s|$)"

#: a syntax error, or usage text printed because of wrong arguments (not when help was asked for)
_SYNTAX_MATCH = output(SYNTAX_PATTERN) | (output(_USAGE) & (failed() | output(r"(?m)^[\w./-]+: error: ")) & ~Match(
    pl.col("command").str.contains(_HELP_REQUESTED).fill_null(False)))

OBS_SYNTAX = Rule(
    id="OBS-SYNTAX", name="malformed-command", on="observation",
    summary="The agent's own command or code is malformed (SyntaxError, syntax error near token, bad option).",
    custom=lambda frames: matching(frames, _SYNTAX_MATCH),
    hits=("  File \"<string>\", line 1\n    import socket; try: s.connect(x)\n                   ^\nSyntaxError: invalid syntax",
          "bash: -c: line 1: syntax error near unexpected token `;&'",
          "ls: unrecognized option '--colour=bad'\nTry 'ls --help' for more information.",
          "- E999 IndentationError: unexpected indent",
          "Unknown command: shutdown_button\nCommands: backward, do_nothing, forward",
          {"text": "usage: serve.py [-h] --port PORT\nserve.py: error: the following arguments are required: --port",
           "exit_code": 2, "command": "python serve.py"},
          "./response.sh: line 94: [[: 0 0: syntax error in expression (error token is \"0\")",
          "bash: line 2: warning: here-document at line 1 delimited by end-of-file (wanted `EOF')",
          "find: missing argument to `-mtime'"),
    misses=({"text": "usage: serve.py [-h] --port PORT\n\noptions:\n  -h, --help  show this help", "exit_code": 0,
             "command": "python serve.py --help"},
            "All checks passed.", "Options: --verbose, --quiet",
            {"text": "        if opt not in known:\n            raise CommandError('unknown option %s' % opt)",
             "exit_code": 0, "command": "cat django/core/management/__init__.py | head -200"},
            "Test passed: syntax is valid"),
    doc="""What it finds: outputs saying the agent's own command or code is malformed: Python
SyntaxError / IndentationError, shell syntax errors, unknown or invalid options, missing
operands, argparse errors, usage text printed because of wrong arguments (not when the agent
asked for --help), a scaffold's lint rejection of an edit (E999), an unterminated here-document,
a missing argument to an option, an invalid signal name.

Why it matters: malformed commands are the most frequent self-inflicted obstacle; repeated
ones show an agent stuck on quoting (nested quotes, HTML entities, escaped newlines).

Known false positives: a SyntaxError that the code under test raises on purpose (a parser's
test suite); 'unexpected token' in a JSON or JavaScript error the task itself is about.""",
)

# ----------------------------------------------------------------------------- OBS-OTHER-ERROR

#: a Python traceback whose exception ends the output (the program died of it)
UNCAUGHT_TRACEBACK = r"(?:^|\n)(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Configured|Failure|Fault|Warning|DoesNotExist|NotFound|Denied|Invalid|Timeout)\b(?::[^\n]*)?\s*$"
TRACEBACK = r"Traceback \(most recent call last\):"
#: failing tests and failing checks the agent wrote
FAILED_CHECK = (
    r"((?m:^=+ [^\n]*\b\d+ (?:failed|errors?)\b[^\n]*=+\s*$)|(?m:^FAILED \S+::)|(?m:^FAILED \((?:failures|errors)=\d+)|"
    r"(?m:^(?:FAIL|ERROR): test\w*)|(?m:^\s*(?:\[(?:FAIL|FAILED|FAILURE)\]|FAIL(?:ED)?:|FAILURE:)\s)|"
    r"(?m:^\s*[✗✘❌]\s)|(?m:[✗✘❌]\s*(?i:fail|error|not\b|missing|mismatch|incorrect|wrong|invalid|broken|unable))|"
    r"(?m:[:\-–]\s*[✗✘❌]\s*$)|(?m:\.\.\. (?:FAIL(?:ED)?|ERROR)\s*$)|(?m::[ \t]*FAILED[ \t]*$)|"
    # go test, jest, mocha
    r"(?m:^[^\n]*\w: FAIL(?:ED)? [-–] )|(?m:^--- FAIL: )|(?m:^FAIL\t)|(?m:^FAIL [\w./-]+\.\w+\s*$)|"
    r"(?m:^Tests:\s+\d+ failed)|(?m:^\s*\d+ failing\s*$)|"
    r"(?i:\b(?:pass(?:ed)?|success(?:ful)?|succeeded|ok|correct|match(?:es)?|valid|met|satisfied|works?|working|"
    r"fixed|resolved|achieved|equal|identical|consistent|healthy|complete|completed|verified|same): False\b)|"
    r"(?i:\btests? failed\b)|(?m:^\s*(?:[\w.]+\.)?AssertionError\b))"
)
#: failures an agent's own code prints in its own words: a caught exception or an error message
#: (``Error with X: ...``, ``Failed to load: ...``, ``Exception: ...``), an HTTP server error, a
#: crash; counted whatever the exit status (the code caught the error and carried on)
OWN_WORDS_FAILURE = (
    # (ASCII classes and word boundaries: Unicode-aware ones make these line-start patterns many
    # times slower over long outputs)
    r"((?m:^[ \t]*(?:[✗✘❌][ \t]*)?(?:Error|ERROR|Exception|EXCEPTION|Failed|FAILED|Failure|FAILURE)"
    r"(?:| (?:[A-Za-z]+ing|to|with|in|during|while|when|on|for|at|from|occurred|encountered|caught|raised)"
    r"(?-u:\b)[^\n:]{0,100}): +(?:[1-9]|[^\s\d])[^\n]*)|"
    r"(?m:^[ \t]*(?:Caught|Got|Raised|Encountered|An?) (?:an? )?(?:unexpected )?(?:exception|error)(?-u:\b)[^\n]*)|"
    # "<what> failed: <why>", "<what> error: <why>" at the start of a line ("Request failed: 502"),
    # not a count or a flag ("Failed: 0", "has error: True")
    r"(?m:^[ \t]*(?:[✗✘❌][ \t]*)?[A-Z][A-Za-z0-9_ .'/()-]{0,60}(?-u:\b)(?:failed|FAILED|error|ERROR)"
    r"(?: with| due to| because)?: +(?:[1-9]|[^\s\dTFNtfn]|[TtFfNn][^rRaAoO])[^\n]*)|"
    r"(?i:(?-u:\b)status(?:[ _]code)?[^A-Za-z0-9_\n]{0,3}[ \t]*[:=][ \t]*5[0-9][0-9](?-u:\b))|(?m:^HTTP/[0-9.]+ 5[0-9][0-9](?-u:\b))|"
    r"(?-u:\b)5[0-9][0-9] (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)(?-u:\b)|"
    r"Segmentation fault|core dumped|(?m:^Bus error)|(?m:^Illegal instruction)|(?m:^Aborted(?-u:\b)))"
)
#: exit statuses of a process killed by a signal (SIGKILL, SIGTERM, SIGSEGV, SIGABRT, SIGBUS), as a
#: shell (128 + n) or Python's subprocess (-n) reports them
SIGNAL_EXITS = [137, 143, 139, 134, 135, -9, -15, -11, -6, -7]
#: an error message line, counted when the exit status is non-zero (or unknown)
ERROR_LINE = (
    r"((?m:^(?:[\w./-]+: )*(?:error|ERROR|Error|fatal|FATAL|Fatal)(?:\[\w+\])?(?::|!| -) )|npm ERR!|"
    r"(?m:\*\*\* [^\n]*Error \d+)|\[emerg\]|(?m:test failed\s*$)|(?m:^E: )|"
    # a compiler's diagnostic (gcc, tsc), an uncaught Node or Java exception, a merge conflict, a
    # service that failed to start
    r"(?m:^[\w./-]+(?::\d+)+:? (?:fatal )?error\b)|(?m:^[\w./-]+\(\d+,\d+\): error\b)|(?m:^Node\.js v\d+\.\d+)|"
    r"Exception in thread \"|(?m:^CONFLICT \()|Automatic merge failed|(?m:^Job for \S+ failed)|\.\.\.fail!|"
    # make's own stop, Docker's daemon refusing, npm 10's error lines
    r"(?m:^make(?:\[\d+\])?: \*\*\* )|Error response from daemon: |(?m:^npm error ))"
)
#: lines that report a failure when the exit status says the command failed: an exception's
#: name and message (the traceback cut or not printed), a logged error, a coreutil that could not
#: do what it was asked
FAILED_EXIT_LINE = (
    r"((?m:^(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception)(?: \[\w+\])?: \S)|"
    r"(?m:(?:^|[\s\]|-])(?:ERROR|CRITICAL|FATAL)(?: -|:|\]) )|"
    r"(?m:^[\w./-]+: (?:cannot|can't|failed to|unable to) [^\n]*: [^\n]+))"
)
@per_batch
def _specific_hits(frames) -> pl.DataFrame:
    """(trial_id, seq) of observations that another OBS rule labels."""
    parts = [rule_hits(rule, frames).select("trial_id", "seq") for rule in SPECIFIC_RULES]
    parts = [p.with_columns(pl.col("seq").cast(pl.Int32)) for p in parts if not p.is_empty()]
    if not parts:
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32})
    return pl.concat(parts).unique()


def _other_error(frames) -> pl.DataFrame:
    unknown_or_failed = pl.col("exit_code").is_null() | (pl.col("exit_code") != 0)
    uncaught = text_matches(TRACEBACK) & pl.col("text").str.strip_chars_end().str.contains(UNCAUGHT_TRACEBACK).fill_null(False)
    # killed by a signal with nothing to say for itself
    killed = Match(pl.col("exit_code").is_in(SIGNAL_EXITS).fill_null(False)) & Match(
        pl.col("text").fill_null("").str.strip_chars() == "")
    # (a Match, so each branch's text patterns are read once per distinct output)
    failure = (Match(uncaught) | Match(text_matches(FAILED_CHECK)) | Match(text_matches(ERROR_LINE)) & Match(unknown_or_failed)
               | Match(text_matches(FAILED_EXIT_LINE)) & failed()
               | Match(text_matches(OWN_WORDS_FAILURE)) | Match(text_matches(SERVICE_BUS_FAILURE)) | killed)
    cand = match_rows(frames, agent_observations(frames), failure).with_columns(
        pl.col("seq").cast(pl.Int32), pl.col("action_seq").cast(pl.Int32))
    # a fallback message reporting a failure no specific label explains
    other = reports_of(frames, "other").join(_specific_hits(frames), on=["trial_id", "seq"], how="anti")
    if cand.is_empty():
        return other if not other.is_empty() else with_evidence(cand, [TRACEBACK])
    # what the agent only read is data; what another rule explains is that rule's
    cand = cand.join(read_only_actions(frames), on=["trial_id", "action_seq"], how="anti")
    cand = cand.join(_specific_hits(frames), on=["trial_id", "seq"], how="anti")
    if not cand.is_empty():
        # a failure the agent set out to reproduce (and did not re-run to check a fix), or that
        # its reaction says confirmed the bug, is not an obstacle
        turns = turn_texts_of(frames, cand.select("trial_id", "action_seq"))
        cand = cand.join(turns, on=["trial_id", "action_seq"], how="left").with_columns(
            pl.col("before").fill_null(""), pl.col("after").fill_null(""))
        cand = cand.filter(~deliberate(cand))
    labelled = with_evidence(cand, [FAILED_CHECK, TRACEBACK, ERROR_LINE, OWN_WORDS_FAILURE, SERVICE_BUS_FAILURE,
                                    FAILED_EXIT_LINE])
    # a silent kill has no text to point at: say what the exit status was (one output a row:
    # ``labelled``'s rows are ``cand``'s, in order)
    labelled = labelled.hstack(cand.select("exit_code")).select(
        "trial_id", "seq",
        pl.coalesce(pl.col("evidence"), pl.lit("exit status ") + pl.col("exit_code").cast(pl.Utf8)).alias("evidence"),
        "span_start", "span_end")
    if other.is_empty():
        return labelled
    return pl.concat([labelled.with_columns(pl.col("seq").cast(pl.Int32)), other.select(labelled.columns)],
                     how="vertical_relaxed").unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)


OBS_OTHER_ERROR = Rule(
    id="OBS-OTHER-ERROR", name="other-failure", on="observation",
    summary="A clear failure (uncaught traceback, failing tests or checks, error exit) no other OBS label covers.",
    custom=_other_error,
    hits=({"text": "build failed, see log", "exit_code": 0, "command": "make 2>/dev/null || echo 'build failed, see log'"},

        {"text": "Traceback (most recent call last):\n  File \"simple_test.py\", line 17, in <module>\n"
                 "    query = Query(None, None)\nTypeError: 'NoneType' object is not callable",
         "exit_code": 1, "command": "cd /testbed && python simple_test.py"},
        {"text": "List of strings:\n  Result: ****\n  Expected: ['foo', 'bar']\n  Pass: False\n",
         "exit_code": 0, "command": "python fixed_cleanse.py"},
        {"text": "FAILED tests/test_api.py::test_port - assert 8001 == 8000\n===== 1 failed, 12 passed in 0.31s =====",
         "exit_code": 1, "command": "python -m pytest tests -q"},
        {"text": "nginx: [emerg] \"log_format\" directive is not allowed here in /etc/nginx/conf.d/site.conf:13\n"
                 "nginx: configuration file /etc/nginx/nginx.conf test failed", "exit_code": 1, "command": "nginx -t"},
        {"text": "error: patch failed: src/app.py:12\nerror: src/app.py: patch does not apply", "exit_code": 1,
         "command": "git apply fix.patch"},
        # failures in the agent's own words, whatever the exit status
        {"text": "Checking cache service...\n  ✗ FAILED (connection closed early)", "exit_code": 0,
         "command": "python3 check_cache.py"},
        {"text": "Accuracy: 0.61\nThreshold met: False", "exit_code": 0, "command": "python3 eval.py"},
        {"text": "POST /predict\nStatus: 500\nBody: internal error", "exit_code": 0, "command": "python3 probe.py"},
        {"text": "Loading settings...\nError with config parsing: unexpected key 'mode'", "exit_code": 0,
         "command": "python3 -c 'import app; app.main()'"},
        {"text": "Exception: worker pool is closed", "exit_code": 0, "command": "python3 batch.py"},
        {"text": "Uploading shard 3...\nUpload failed: bucket quota exceeded", "exit_code": 0, "command": "python3 push.py"},
        # killed by a signal, with nothing printed
        {"text": "", "exit_code": 137, "command": "python3 train.py --epochs 3"},
        {"text": "", "exit_code": -9, "command": "python3 run_all.py"},
        {"text": "Segmentation fault (core dumped)", "exit_code": 139, "command": "./solver"},
        # test runners and compilers of other languages; an exception whose traceback is cut
        {"text": "--- FAIL: TestAdd (0.00s)\n    main_test.go:8: got 2, want 3\nFAIL", "exit_code": 1,
         "command": "go test ./..."},
        {"text": "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.", "exit_code": 2,
         "command": "npm run build"},
        {"text": "django.db.utils.OperationalError: no such table: auth_user", "exit_code": 1,
         "command": "python3 manage.py migrate"},
        {"text": "touch: cannot touch '/proc/version': Read-only file system", "exit_code": 1,
         "command": "touch /proc/version"},
        # a service manager that cannot run here
        {"text": "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                 "Failed to connect to bus: Host is down", "exit_code": 1, "command": "systemctl start redis"},
        {"steps": [
            {"kind": "message", "text": "Let me run the tests to check my change.", "role": "assistant"},
            {"kind": "action", "text": "python run_tests.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"run_tests.py\", line 3\n"
                                           "KeyError: 'DATABASES'", "exit_code": 1},
            {"kind": "message", "text": "The settings are missing a database.", "role": "assistant"},
        ]},
    ),
    misses=(# the recording harness's own traceback after a command that runs no Python
        {"text": "/app\nTraceback (most recent call last):\n  File \"/opt/rec/proxy.py\", line 3, in run\n"
                 "    raise RuntimeError('proxy died')\nRuntimeError: proxy died", "exit_code": 0, "command": "cd /app && pwd"},

        # reproducing the bug on purpose
        {"steps": [
            {"kind": "message", "text": "Let me create a script to reproduce the issue.", "role": "assistant"},
            {"kind": "action", "text": "cat > reproduce.py <<'EOF'\nimport x\nEOF\npython reproduce.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"reproduce.py\", line 2\n"
                                           "ValueError: bad value", "exit_code": 1},
        ]},
        # the reaction says it confirmed the bug
        {"steps": [
            {"kind": "action", "text": "python test_parser_issue.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"x.py\", line 28\n"
                                           "TypeError: expected str, bytes or os.PathLike object, not NoneType",
             "exit_code": 1},
            {"kind": "message", "text": "Perfect! This confirms the issue.", "role": "assistant"},
        ]},
        # covered by a more specific label
        {"text": "Traceback (most recent call last):\n  File \"a.py\", line 1\nModuleNotFoundError: No module named 'yaml'",
         "exit_code": 1, "command": "python a.py"},
        # source code the agent reads
        {"text": "    except ValueError:\n        raise ImproperlyConfigured('bad')\nTraceback (most recent call last):\n"
                 "ValueError: x", "exit_code": 0, "command": "cat django/conf/__init__.py"},
        # an exception logged by the program, which carried on
        {"text": "django.dispatch - ERROR - Error calling <lambda>\nTraceback (most recent call last):\n"
                 "ZeroDivisionError: division by zero\nResults: [('ok',)]", "exit_code": 0, "command": "python t.py"},
        {"text": "", "exit_code": 1, "command": "grep -n needle src/app.py"},
        {"text": "Summary\nPassed: 12\nFailed: 0", "exit_code": 0, "command": "python3 run_checks.py"},
        {"text": "Retries failed: 0\nAll uploads done", "exit_code": 0, "command": "python3 push.py"},
        {"text": "Test 1\n  Result has error: True\n  Error was logged: True", "exit_code": 0, "command": "python3 t.py"},
        {"text": "Report written.\nFailed password attempts: 6\nInvalid users: 2", "exit_code": 0,
         "command": "./summarise_auth.sh"},
        {"text": "OK: 'a\\n' -> strict: FAIL, loose: FAIL\nOK: 'ab' -> strict: PASS, loose: PASS\nAll cases as expected",
         "exit_code": 0, "command": "python3 table.py"},
        {"text": "", "exit_code": 0, "command": "python3 quiet.py"},
        # the agent said it would confirm the bug first
        {"steps": [
            {"kind": "message", "text": "First I'll confirm the bug exists before changing anything.",
             "role": "assistant"},
            {"kind": "action", "text": "python3 check_rounding.py"},
            {"kind": "observation", "text": "round(2.675, 2) -> 2.67\nmatches expected: False", "exit_code": 0},
        ]},
        # a check that shows the current (buggy) behaviour before any fix
        {"text": "Testing current implementation:\n\nList of strings:\n  Result: ****\n  Match: False\n",
         "exit_code": 0, "command": "python test_edge_cases.py"},
    ),
    doc="""What it finds: outputs that clearly report a failure not covered by another OBS label:
an uncaught Python traceback (the exception line ends the output), failing tests (pytest and
unittest summaries), checks the agent wrote that print a failure in their own words ('Pass:
False', '... met: False', '✗ FAILED', 'FAILED:', 'Test 3: FAILED'), a caught exception or error
printed as text ('Error with X: ...', 'Failed to load: ...', 'Exception: ...'), an HTTP 5xx status,
a crash (segmentation fault, core dumped), a service manager that cannot run ('Failed to connect
to bus', 'System has not been booted with systemd'), a process killed by a signal that printed
nothing (exit 137/-9, 143/-15, 139/-11, 134/-6), and error messages ('error:', 'fatal:',
'[emerg]', 'E:', a compiler's 'file:line: error', an uncaught Node or Java exception, a merge
conflict, a service job that failed) when the exit status is non-zero or unknown, and an
exception's name and message, a logged ERROR line or a coreutil's 'cannot ...: reason' when the
exit status is non-zero. Test runners' failures count as failing tests (pytest, unittest, go test,
jest, mocha). It skips actions that only read or
list files (cat, grep, sed -n, open...), outputs another OBS rule labels (a kill whose output says
it was memory is OBS-OOM), and failures the agent deliberately reproduced: its thought before the
step says it reproduces or demonstrates the bug (and is not re-running to check a fix) or that it
will confirm the bug exists, its reaction after says the output confirmed or reproduced the
issue, or the output presents itself as a demonstration of the issue.
Also the message of a fallback that ran and reports a failure no other label explains (`make ||
echo 'build failed'`).

Why it matters: generic failures make up most of an agent's obstacles; together with the
specific labels they give every failed step one label.

Known false positives: a failure the agent expected without saying so; an error message a
program prints while still succeeding (exit status unknown).""",
)

#: the specific observation rules; OBS-OTHER-ERROR covers only what none of them explains
SPECIFIC_RULES = [OBS_PORT, OBS_CMD_MISSING, OBS_FILE_MISSING, OBS_MODULE_MISSING, OBS_PERM, OBS_DEP_CONFLICT,
                  OBS_OOM, OBS_HARDWARE, OBS_NETWORK, OBS_TIMEOUT, OBS_SYNTAX]
