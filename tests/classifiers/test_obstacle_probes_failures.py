"""Observation probes: malformed commands or code, and other clear failures.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

SYNTAX, OTHER = "OBS-SYNTAX", "OBS-OTHER-ERROR"

CASES = [
    # SYNTAX positives
    ({SYNTAX}, "python3 -c \"import socket; s=socket.socket(); try: s.bind(('',8001)) except: print('busy')\"",
     "  File \"<string>\", line 1\n"
     "    import socket; s=socket.socket(); try: s.bind(('',8001)) except: print('busy')\n"
     "                                      ^^^\n"
     "SyntaxError: invalid syntax",
     1),
    ({SYNTAX}, "python3 fix.py",
     "  File \"/app/fix.py\", line 12\n"
     "    return x\n"
     "    ^\n"
     "IndentationError: unexpected indent",
     1),
    ({SYNTAX}, "python3 app.py",
     "  File \"/app/app.py\", line 3\n"
     "    print(\"x)\n"
     "          ^\n"
     "SyntaxError: unterminated string literal (detected at line 3)",
     1),
    ({SYNTAX}, "python3.8 app.py",
     "  File \"app.py\", line 3\n"
     "    print(\"x)\n"
     "             ^\n"
     "SyntaxError: EOL while scanning string literal",
     1),
    ({SYNTAX}, "bash -c 'if [ 1 ]; then echo'",
     "bash: -c: line 1: syntax error: unexpected end of file",
     2),
    ({SYNTAX}, "sh deploy.sh",
     "deploy.sh: 5: Syntax error: \"fi\" unexpected",
     2),
    ({SYNTAX}, "ls --colour=bad",
     "ls: invalid argument 'bad' for '--color'\n"
     "Valid arguments are:\n"
     "  - 'always', 'yes', 'force'\n"
     "Try 'ls --help' for more information.",
     2),
    ({SYNTAX}, "netstat -tulpn",
     "netstat: invalid option -- 'p'\n"
     "BusyBox v1.36.1 (2023-11-07 18:53:09 UTC) multi-call binary.\n"
     "\n"
     "Usage: netstat [-ral] [-tuwx] [-en]",
     1),
    ({SYNTAX}, "grep -P '\\d' x",
     "grep: invalid option -- 'P'\n"
     "Usage: grep [-HhnlLoqvsriwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...",
     1),
    ({SYNTAX}, "pip install --upgade numpy",
     "\n"
     "Usage:   \n"
     "  pip install [options] <requirement specifier> [package-index-options] ...\n"
     "\n"
     "no such option: --upgade",
     2),
    ({SYNTAX}, "git comit -m x",
     "git: 'comit' is not a git command. See 'git --help'.\n"
     "\n"
     "The most similar command is\n"
     "\tcommit",
     1),
    ({SYNTAX}, "docker run --detatch nginx",
     "unknown flag: --detatch\n"
     "See 'docker run --help'.",
     125),
    ({SYNTAX}, "node -e 'console.log(('",
     "[eval]:1\n"
     "console.log((\n"
     "            ^\n"
     "\n"
     "SyntaxError: Unexpected end of input\n"
     "    at makeContextifyScript (node:internal/vm:185:14)",
     1),
    ({SYNTAX}, "python3 serve.py --prot 8001",
     "usage: serve.py [-h] [--port PORT]\n"
     "serve.py: error: unrecognized arguments: --prot 8001",
     2),
    ({SYNTAX}, "find . -name *.py -mtime",
     "find: missing argument to `-mtime'",
     1),
    ({SYNTAX}, "sed -i 's/a/b' x.py",
     "sed: -e expression #1, char 5: unterminated `s' command",
     1),
    ({SYNTAX}, "tar -xzq f.tgz",
     "tar: invalid option -- 'q'\n"
     "Try 'tar --help' or 'tar --usage' for more information.",
     2),
    ({SYNTAX}, "python3 -c 'print(\"a\" \"b\" +)'",
     "  File \"<string>\", line 1\n"
     "    print(\"a\" \"b\" +)\n"
     "                   ^\n"
     "SyntaxError: invalid syntax",
     1),
    ({SYNTAX}, "jq '.a[' f.json",
     "jq: error: syntax error, unexpected end of file (Unix shell quoting issues?) at <top-level"
     ">, line 1:\n"
     ".a[\n"
     "jq: 1 compile error",
     3),
    ({SYNTAX}, "kill -s FOO 12",
     "bash: kill: FOO: invalid signal specification",
     1),
    ({SYNTAX}, "cat <<EOF > a.sh\n"
         "echo hi",
     "bash: line 2: warning: here-document at line 1 delimited by end-of-file (wanted `EOF')",
     0),
    ({SYNTAX}, "python3 a.py",
     "  File \"/app/a.py\", line 4\n"
     "    else\n"
     "        ^\n"
     "SyntaxError: expected ':'",
     1),
    ({SYNTAX}, "python3 a.py",
     "  File \"/app/a.py\", line 2\n"
     "\tx = 1\n"
     "TabError: inconsistent use of tabs and spaces in indentation",
     1),
    ({SYNTAX}, "edit 10:12\n"
         "    return x\n"
         "end_of_edit",
     "Your proposed edit has introduced new syntax error(s). Please read this error message care"
     "fully and then retry editing the file.\n"
     "\n"
     "ERRORS:\n"
     "- E999 IndentationError: unexpected indent",
     None),
    # SYNTAX negatives
    (set(), "python3 serve.py --help",
     "usage: serve.py [-h] [--port PORT]\n"
     "\n"
     "options:\n"
     "  -h, --help   show this help message and exit\n"
     "  --port PORT",
     0),
    (set(), "netstat --help",
     "usage: netstat [-vWeenNcCF] [<Af>] -r\n"
     "       netstat [-vWnNcaeol] [<Socket> ...]",
     0),
    (set(), "grep -rn SyntaxError lib/",
     "lib/parser.py:88:        raise SyntaxError('unexpected token %r' % tok)",
     0),
    (set(), "python3 -m py_compile app.py && echo ok",
     "ok",
     0),
    (set(), "cat tests/test_parser.py",
     "def test_bad():\n"
     "    with pytest.raises(SyntaxError):\n"
     "        parse('1 +')\n",
     0),
    (set(), "man tar | head -5",
     "TAR(1)                    GNU TAR Manual                   TAR(1)\n"
     "\n"
     "NAME\n"
     "       tar - an archiving utility\n"
     "\n"
     "SYNOPSIS\n"
     "       Usage: tar [OPTION...] [FILE]...",
     0),
    (set(), "python3 -m pytest tests/test_syntax.py -q",
     "...                                                                      [100%]\n"
     "3 passed in 0.02s",
     0),
    # OTHER-ERROR positives
    ({OTHER}, "python -m pytest tests/ -q",
     "..F.\n"
     "=================================== FAILURES ===================================\n"
     "________________________________ test_parse ____________________________________\n"
     "\n"
     "    def test_parse():\n"
     ">       assert parse('1') == 2\n"
     "E       assert 1 == 2\n"
     "\n"
     "tests/test_p.py:4: AssertionError\n"
     "=========================== short test summary info ============================\n"
     "FAILED tests/test_p.py::test_parse - assert 1 == 2\n"
     "1 failed, 3 passed in 0.10s",
     1),
    ({OTHER}, "pytest",
     "============================= test session starts ==============================\n"
     "collected 0 items / 1 error\n"
     "\n"
     "==================================== ERRORS ====================================\n"
     "_____________________ ERROR collecting tests/test_app.py _______________________\n"
     "tests/test_app.py:3: in <module>\n"
     "    from app import create\n"
     "E   NameError: name 'x' is not defined\n"
     "=========================== short test summary info ============================\n"
     "ERROR tests/test_app.py - NameError: name 'x' is not defined\n"
     "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n"
     "=============================== 1 error in 0.12s ===============================",
     2),
    ({OTHER}, "python -m unittest",
     "F\n"
     "======================================================================\n"
     "FAIL: test_add (test_math.TestMath)\n"
     "----------------------------------------------------------------------\n"
     "Traceback (most recent call last):\n"
     "  File \"/app/test_math.py\", line 5, in test_add\n"
     "    self.assertEqual(add(1, 1), 3)\n"
     "AssertionError: 2 != 3\n"
     "\n"
     "----------------------------------------------------------------------\n"
     "Ran 1 test in 0.000s\n"
     "\n"
     "FAILED (failures=1)",
     1),
    ({OTHER}, "./tests/runtests.py",
     "Ran 12 tests in 0.3s\n"
     "\n"
     "FAILED (errors=2, skipped=1)",
     1),
    ({OTHER}, "make",
     "gcc -Wall -c main.c\n"
     "main.c: In function 'main':\n"
     "main.c:5:3: error: 'y' undeclared (first use in this function)\n"
     "    5 |   y = 2;\n"
     "      |   ^\n"
     "make: *** [Makefile:3: main.o] Error 1",
     2),
    ({OTHER}, "make all",
     "make[1]: *** [Makefile:10: build] Error 2\n"
     "make: *** [Makefile:4: all] Error 2",
     2),
    ({OTHER}, "npm run build",
     "> app@1.0.0 build\n"
     "> tsc\n"
     "\n"
     "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
     2),
    ({OTHER}, "node app.js",
     "/app/app.js:3\n"
     "const x = y.z;\n"
     "          ^\n"
     "\n"
     "ReferenceError: y is not defined\n"
     "    at Object.<anonymous> (/app/app.js:3:11)\n"
     "    at Module._compile (node:internal/modules/cjs/loader:1256:14)\n"
     "\n"
     "Node.js v18.19.0",
     1),
    ({OTHER}, "cargo build",
     "   Compiling app v0.1.0 (/app)\n"
     "error[E0308]: mismatched types\n"
     " --> src/main.rs:2:18\n"
     "  |\n"
     "2 |     let x: u32 = \"a\";\n"
     "  |                  ^^^ expected `u32`, found `&str`\n"
     "\n"
     "error: could not compile `app` (bin \"app\") due to 1 previous error",
     101),
    ({OTHER}, "go test ./...",
     "--- FAIL: TestAdd (0.00s)\n"
     "    main_test.go:8: got 2, want 3\n"
     "FAIL\n"
     "FAIL\tapp\t0.002s\n"
     "FAIL",
     1),
    ({OTHER}, "npm test",
     "  1 failing\n"
     "\n"
     "  1) add\n"
     "       adds numbers:\n"
     "     AssertionError [ERR_ASSERTION]: 2 == 3",
     1),
    ({OTHER}, "npx jest",
     "FAIL src/sum.test.js\n"
     "  ✕ adds 1 + 2 to equal 3 (3 ms)\n"
     "\n"
     "Tests:       1 failed, 1 total",
     1),
    ({OTHER}, "python3 app.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/app.py\", line 10, in <module>\n"
     "    main()\n"
     "  File \"/app/app.py\", line 7, in main\n"
     "    return cfg['port']\n"
     "           ~~~^^^^^^^^\n"
     "KeyError: 'port'",
     1),
    ({OTHER}, "python3.13 app.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/app.py\", line 2, in <module>\n"
     "    int('x')\n"
     "    ~~~^^^^^\n"
     "ValueError: invalid literal for int() with base 10: 'x'",
     1),
    ({OTHER}, "docker build -t app .",
     "#5 [2/3] RUN pip install -r requirements.txt\n"
     "#5 ERROR: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successful"
     "ly: exit code: 1\n"
     "------\n"
     "ERROR: failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not compl"
     "ete successfully: exit code: 1",
     1),
    ({OTHER}, "git push origin main",
     "To github.com:x/y.git\n"
     " ! [rejected]        main -> main (fetch first)\n"
     "error: failed to push some refs to 'github.com:x/y.git'",
     1),
    ({OTHER}, "git merge feature",
     "Auto-merging app.py\n"
     "CONFLICT (content): Merge conflict in app.py\n"
     "Automatic merge failed; fix conflicts and then commit the result.",
     1),
    ({OTHER}, "nginx -t",
     "nginx: [emerg] unknown directive \"serverr\" in /etc/nginx/sites-enabled/default:3\n"
     "nginx: configuration file /etc/nginx/nginx.conf test failed",
     1),
    ({OTHER}, "systemctl start nginx",
     "Job for nginx.service failed because the control process exited with error code.\n"
     "See \"systemctl status nginx.service\" and \"journalctl -xeu nginx.service\" for details.",
     1),
    ({OTHER}, "service nginx start",
     " * Starting nginx nginx\n"
     "   ...fail!",
     1),
    ({OTHER}, "curl -s http://localhost:8000/api",
     "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error"
     "</h1></body></html>",
     0),
    ({OTHER}, "python3 manage.py migrate",
     "django.db.utils.OperationalError: no such table: auth_user",
     1),
    ({OTHER}, "./solver",
     "Segmentation fault (core dumped)",
     139),
    ({OTHER}, "python3 check.py",
     "Check 1: PASS\n"
     "Check 2: FAIL - expected 5 got 4",
     0),
    ({OTHER}, "bash test.sh",
     "test 1 ... ok\n"
     "test 2 ... FAILED",
     1),
    ({OTHER}, "touch /proc/version",
     "touch: cannot touch '/proc/version': Read-only file system",
     1),
    ({OTHER}, "mkdir /app/data",
     "mkdir: cannot create directory '/app/data': File exists",
     1),
    ({OTHER}, "git commit -m x",
     "fatal: not a git repository (or any of the parent directories): .git",
     128),
    ({OTHER}, "python3 -c 'import json; json.loads(\"x\")'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "  File \"/usr/lib/python3.12/json/__init__.py\", line 346, in loads\n"
     "    return _default_decoder.decode(s)\n"
     "           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
     "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
     1),
    ({OTHER}, "sqlite3 db.sqlite 'select * from x'",
     "Error: in prepare, no such table: x (1)",
     1),
    ({OTHER}, "psql -c 'select 1'",
     "psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: No"
     " such file or directory\n"
     "\tIs the server running locally and accepting connections on that socket?",
     2),
    ({OTHER}, "java Main",
     "Exception in thread \"main\" java.lang.NullPointerException\n"
     "\tat Main.main(Main.java:5)",
     1),
    ({OTHER}, "python3 app.py",
     "Traceback (most recent call last):\n"
     "  File \"app.py\", line 1, in <module>\n"
     "    raise SystemExit('config invalid')\n"
     "SystemExit: config invalid",
     1),
    ({OTHER}, "python3 run.py",
     "2024-05-02 10:00:00,000 - ERROR - Failed to load model: weights file corrupted",
     1),
    # OTHER-ERROR negatives
    (set(), "python -m pytest -q",
     "........                                                                 [100%]\n"
     "8 passed in 0.21s",
     0),
    (set(), "flake8 app.py; echo \"0 errors\"",
     "0 errors",
     0),
    (set(), "npx tsc --noEmit",
     "Found 0 errors. Watching for file changes.",
     0),
    (set(), "python3 -m mypy app.py",
     "Success: no issues found in 1 source file",
     0),
    (set(), "grep -rn 'error' src/ | head -3",
     "src/log.py:4:def error(msg):\n"
     "src/log.py:5:    logger.error(msg)\n"
     "src/api.py:40:        raise HTTPError(500, 'Internal Server Error')",
     0),
    (set(), "grep -c ERROR app.log",
     "0",
     1),
    (set(), "python3 app.py --help",
     "usage: app.py [-h] [--debug]\n"
     "\n"
     "error handling options:\n"
     "  --debug  show errors",
     0),
    (set(), "make",
     "make: Nothing to be done for 'all'.",
     0),
    (set(), "make -n",
     "gcc -c main.c\n"
     "gcc -o app main.o",
     0),
    (set(), "python3 -m pytest tests/test_errors.py -q",
     "....                                                                     [100%]\n"
     "4 passed in 0.03s",
     0),
    (set(), "python3 -m pytest -q -k error",
     "..                                                                       [100%]\n"
     "2 passed, 10 deselected in 0.11s",
     0),
    (set(), "pip install requests",
     "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) af"
     "ter connection broken by 'ProtocolError('Connection aborted.', RemoteDisconnected('Remote "
     "end closed connection without response'))': /simple/requests/\n"
     "Collecting requests\n"
     "Successfully installed requests-2.32.3",
     0),
    (set(), "npm install",
     "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.\n"
     "\n"
     "added 120 packages in 3s",
     0),
    (set(), "git status",
     "On branch main\n"
     "nothing to commit, working tree clean",
     0),
    (set(), "python3 -c \"print('errors: 0, warnings: 2')\"",
     "errors: 0, warnings: 2",
     0),
    (set(), "cargo build",
     "   Compiling app v0.1.0 (/app)\n"
     "warning: unused variable: `x`\n"
     "    Finished dev [unoptimized + debuginfo] target(s) in 0.50s",
     0),
    (set(), "python3 train.py",
     "epoch 1 loss 0.52\n"
     "epoch 2 loss 0.31\n"
     "validation error: 0.12",
     0),
    (set(), "python3 eval.py",
     "Mean absolute error: 0.034\n"
     "Root mean squared error: 0.051",
     0),
    (set(), "tail -n 3 server.log",
     "2024-05-02 10:00:01 ERROR worker 3 restarted\n"
     "2024-05-02 10:00:02 INFO request ok",
     0),
    (set(), "echo 'Error: this is only a message'",
     "Error: this is only a message",
     0),
    (set(), "python3 -m pytest tests/test_timeout.py -q",
     "..                                                                       [100%]\n"
     "2 passed in 0.01s",
     0),
]


def test_failures(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
