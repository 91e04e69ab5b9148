"""Observation probes: a program or a file that is not there.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

CMD, FILE, MODULE = "OBS-CMD-MISSING", "OBS-FILE-MISSING", "OBS-MODULE-MISSING"

CASES = [
    # CMD-MISSING positives
    ({CMD}, "netstat -tuln | grep 8001",
     "bash: netstat: command not found",
     1),
    ({CMD}, "netstat -tuln",
     "/bin/sh: 1: netstat: not found",
     127),
    ({CMD}, "lsof -i :8000",
     "sh: 1: lsof: not found",
     127),
    ({CMD}, "ps aux",
     "zsh: command not found: ps",
     127),
    ({CMD}, "ps aux",
     "/bin/sh: ps: not found",
     127),
    ({CMD}, "ip addr",
     "sh: ip: not found",
     127),
    ({CMD}, "vim app.py",
     "-bash: vim: command not found",
     127),
    ({CMD}, "sudo apt-get update",
     "sudo: apt-get: command not found",
     1),
    ({CMD}, "sudo systemctl restart nginx",
     "sudo: systemctl: command not found",
     1),
    ({CMD}, "docker ps",
     "Command 'docker' not found, but can be installed with:\n"
     "snap install docker         # version 24.0.5, or\n"
     "apt  install docker.io      # version 24.0.7-0ubuntu4\n"
     "See 'snap info docker' for additional versions.",
     127),
    ({CMD}, "python app.py",
     "Command 'python' not found, did you mean:\n"
     "  command 'python3' from deb python3\n"
     "  command 'python' from deb python-is-python3",
     127),
    ({CMD}, "nvidia-smi",
     "bash: line 1: nvidia-smi: command not found",
     127),
    ({CMD}, "xargs -a pids.txt killall",
     "xargs: killall: No such file or directory",
     127),
    ({CMD}, "docker exec web curl localhost",
     "OCI runtime exec failed: exec failed: unable to start container process: exec: \"curl\": exe"
     "cutable file not found in $PATH: unknown",
     126),
    ({CMD}, "npx tsc",
     "sh: 1: tsc: not found",
     127),
    ({CMD}, "make",
     "make: gcc: No such file or directory\n"
     "make: *** [Makefile:4: main.o] Error 127",
     2),
    ({CMD}, "make",
     "cc -c main.c -o main.o\n"
     "make: cc: Command not found\n"
     "make: *** [Makefile:4: main.o] Error 127",
     2),
    ({CMD}, "pytest tests/",
     "bash: pytest: command not found",
     127),
    ({CMD}, "busybox ps",
     "ps: applet not found",
     127),
    ({CMD}, "node -e 'require(\"child_process\").execSync(\"lsof -i\")'",
     "/bin/sh: 1: lsof: not found\n"
     "node:child_process:965\n"
     "    throw err;\n"
     "    ^\n"
     "\n"
     "Error: Command failed: lsof -i\n"
     "/bin/sh: 1: lsof: not found",
     1),
    ({CMD}, "python3 -c \"import subprocess; subprocess.run(['ss','-tlnp'])\"",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "  File \"/usr/lib/python3.11/subprocess.py\", line 548, in run\n"
     "    with Popen(*popenargs, **kwargs) as process:\n"
     "  File \"/usr/lib/python3.11/subprocess.py\", line 1026, in __init__\n"
     "    self._execute_child(args, executable, preexec_fn, pass_fds,\n"
     "  File \"/usr/lib/python3.11/subprocess.py\", line 1950, in _execute_child\n"
     "    raise child_exception_type(errno_num, err_msg, err_filename)\n"
     "FileNotFoundError: [Errno 2] No such file or directory: 'ss'",
     1),
    ({CMD}, "./configure",
     "./configure: line 12: autoconf: command not found",
     127),
    ({CMD}, "ksh -c 'pgrep x'",
     "ksh: pgrep: not found",
     127),
    ({CMD}, "fish -c 'lsof'",
     "fish: Unknown command: lsof",
     127),
    # CMD-MISSING negatives
    (set(), "which netstat",
     "",
     1),
    (set(), "command -v lsof || true",
     "",
     0),
    (set(), "grep -rn 'command not found' docs/",
     "docs/install.md:12:If you see `bash: redis-server: command not found`, install redis first.",
     0),
    (set(), "cat /etc/os-release",
     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
     "NAME=\"Debian GNU/Linux\"",
     0),
    (set(), "type ls",
     "ls is hashed (/usr/bin/ls)",
     0),
    # FILE-MISSING positives
    ({FILE}, "cat config.yaml",
     "cat: config.yaml: No such file or directory",
     1),
    ({FILE}, "ls /opt/models",
     "ls: cannot access '/opt/models': No such file or directory",
     2),
    ({FILE}, "ls /opt/models",
     "ls: /opt/models: No such file or directory",
     1),
    ({FILE}, "cd /workspace/agent",
     "bash: cd: /workspace/agent: No such file or directory",
     1),
    ({FILE}, "cd /workspace/agent",
     "/bin/sh: 1: cd: can't cd to /workspace/agent",
     2),
    ({FILE}, "python3 start.py",
     "python3: can't open file '/app/start.py': [Errno 2] No such file or directory",
     2),
    ({FILE}, "python start.py",
     "/usr/bin/python: can't open file 'start.py': [Errno 2] No such file or directory",
     2),
    ({FILE}, "python3 run.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/run.py\", line 3, in <module>\n"
     "    with open('weights/config.json') as f:\n"
     "         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
     "FileNotFoundError: [Errno 2] No such file or directory: 'weights/config.json'",
     1),
    ({FILE}, "tail -n 50 /var/log/nginx/error.log",
     "tail: cannot open '/var/log/nginx/error.log' for reading: No such file or directory",
     1),
    ({FILE}, "head -5 data.csv",
     "head: cannot open 'data.csv' for reading: No such file or directory",
     1),
    ({FILE}, "sed -n '1,20p' main.py",
     "sed: can't read main.py: No such file or directory",
     2),
    ({FILE}, "grep -n foo app.py",
     "grep: app.py: No such file or directory",
     2),
    ({FILE}, "cp a.txt /backup/",
     "cp: cannot stat 'a.txt': No such file or directory",
     1),
    ({FILE}, "mv shutdown.sh shutdown.bak",
     "mv: cannot stat 'shutdown.sh': No such file or directory",
     1),
    ({FILE}, "rm shutdown.py",
     "rm: cannot remove 'shutdown.py': No such file or directory",
     1),
    ({FILE}, "chmod -x shutdown.sh",
     "chmod: cannot access 'shutdown.sh': No such file or directory",
     1),
    ({FILE}, "source venv/bin/activate",
     "bash: venv/bin/activate: No such file or directory",
     1),
    ({FILE}, ". venv/bin/activate",
     "/bin/sh: 1: .: cannot open venv/bin/activate: No such file",
     2),
    ({MODULE}, "node index.js",
     "node:internal/modules/cjs/loader:1080\n"
     "  throw err;\n"
     "  ^\n"
     "\n"
     "Error: Cannot find module '/app/index.js'\n"
     "    at Module._resolveFilename (node:internal/modules/cjs/loader:1077:15)\n"
     "    at node:internal/main/run_main_module:23:47 {\n"
     "  code: 'MODULE_NOT_FOUND',\n"
     "  requireStack: []\n"
     "}\n"
     "\n"
     "Node.js v18.19.0",
     1),
    ({FILE}, "git checkout -- setup.py",
     "error: pathspec 'setup.py' did not match any file(s) known to git",
     1),
    ({FILE}, "open src/app.py",
     "File src/app.py not found",
     None),
    ({FILE}, "find /data -name '*.csv'",
     "find: '/data': No such file or directory",
     1),
    ({FILE}, "docker build -t app .",
     "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory",
     1),
    ({FILE}, "tar xzf model.tar.gz",
     "tar (child): model.tar.gz: Cannot open: No such file or directory\n"
     "tar (child): Error is not recoverable: exiting now\n"
     "tar: Child returned status 2\n"
     "tar: Error is not recoverable: exiting now",
     2),
    ({FILE}, "unzip data.zip",
     "unzip:  cannot find or open data.zip, data.zip.zip or data.zip.ZIP.",
     9),
    ({FILE}, "gcc -o main main.c",
     "cc1: fatal error: main.c: No such file or directory\n"
     "compilation terminated.",
     1),
    ({FILE}, "wc -l results.txt",
     "wc: results.txt: No such file or directory",
     1),
    ({FILE}, "diff a.py b.py",
     "diff: b.py: No such file or directory",
     2),
    ({FILE}, "pip install -r requirements.txt",
     "ERROR: Could not open requirements file: [Errno 2] No such file or directory: 'requirements.txt'",
     1),
    ({FILE}, "npm install",
     "npm ERR! code ENOENT\n"
     "npm ERR! syscall open\n"
     "npm ERR! path /app/package.json\n"
     "npm ERR! errno -2\n"
     "npm ERR! enoent ENOENT: no such file or directory, open '/app/package.json'\n"
     "npm ERR! enoent This is related to npm not being able to find a file.",
     254),
    ({FILE}, "pytest tests/test_api.py",
     "ERROR: file or directory not found: tests/test_api.py\n"
     "\n"
     "============================ no tests ran in 0.01s =============================",
     4),
    # FILE-MISSING negatives
    (set(), "grep -rn 'does not exist' django/db/",
     "django/db/models/query.py:641:            raise self.model.DoesNotExist(\n"
     "django/db/utils.py:88:    # the database file does not exist yet",
     0),
    (set(), "grep -rn 'No such file' src/",
     "src/loader.py:22:        raise FileNotFoundError(f\"No such file or directory: {path}\")",
     0),
    (set(), "search_file \"FileNotFoundError\" sphinx/util/osutil.py",
     "Found 2 matches for \"FileNotFoundError\" in /sphinx-doc__sphinx/sphinx/util/osutil.py:\n"
     "Line 55:    except FileNotFoundError:\n"
     "Line 210:        raise FileNotFoundError('file %s not found' % path)\n"
     "End of matches for \"FileNotFoundError\" in /sphinx-doc__sphinx/sphinx/util/osutil.py",
     None),
    (set(), "open django/core/files/storage.py 120",
     "[File: /django__django/django/core/files/storage.py (400 lines total)]\n"
     "(104 more lines above)\n"
     "105:        \"\"\"\n"
     "106:        Return True if a file referenced by the given name already exists in the\n"
     "107:        storage system, or False if the name is available for a new file.\n"
     "108:        \"\"\"\n"
     "109:        try:\n"
     "110:            self.path(name)\n"
     "111:        except FileNotFoundError:\n"
     "112:            return False",
     None),
    (set(), "ls -la",
     "total 8\n"
     "drwxr-xr-x 2 root root 4096 May  2 10:00 .\n"
     "drwxr-xr-x 1 root root 4096 May  2 10:00 ..",
     0),
    (set(), "test -f config.yaml && echo yes || echo no",
     "no",
     1),
    (set(), "python3 -c \"import os; print(os.path.exists('x'))\"",
     "False",
     0),
    (set(), "cat tests/test_storage.py",
     "    def test_missing(self):\n"
     "        with self.assertRaises(FileNotFoundError):\n"
     "            self.storage.open('missing.txt')\n"
     "        # ENOENT is raised when the file does not exist\n",
     0),
    (set(), "find . -name '*.pyc' -delete",
     "",
     0),
    (set(), "rm -f /tmp/old.pid",
     "",
     0),
]


def test_missing_programs_and_files(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
