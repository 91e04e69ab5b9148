"""Observation probes: install noise, the scaffolds' own messages, programs the agent wrote, the
logs it reads, zsh and busybox.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

PORT, CMD, FILE, MODULE, PERM, OOM, NETWORK, TIMEOUT, SYNTAX, OTHER = "OBS-PORT", "OBS-CMD-MISSING", "OBS-FILE-MISSING", "OBS-MODULE-MISSING", "OBS-PERM", "OBS-OOM", "OBS-NETWORK", "OBS-TIMEOUT", "OBS-SYNTAX", "OBS-OTHER-ERROR"

CASES = [
    # install noise that is no failure
    (set(), "apt-get install -y lsof",
     "debconf: delaying package configuration, since apt-utils is not installed\n"
     "Selecting previously unselected package lsof.\n"
     "(Reading database ... 12000 files and directories currently installed.)\n"
     "Preparing to unpack .../lsof_4.95.0-1_amd64.deb ...\n"
     "Unpacking lsof (4.95.0-1) ...\n"
     "Setting up lsof (4.95.0-1) ...",
     0),
    (set(), "apt-get install -y vim",
     "debconf: unable to initialize frontend: Dialog\n"
     "debconf: (No usable dialog-like program is installed, so the dialog based frontend cannot "
     "be used. at /usr/share/perl5/Debconf/FrontEnd/Dialog.pm line 78.)\n"
     "debconf: falling back to frontend: Readline\n"
     "dpkg-preconfigure: unable to re-open stdin: No such file or directory\n"
     "Setting up vim (2:9.0.1378-2) ...\n"
     "update-alternatives: using /usr/bin/vim.basic to provide /usr/bin/vim (vim) in auto mode\n"
     "update-alternatives: warning: skip creation of /usr/share/man/man1/vim.1.gz because associ"
     "ated file /usr/share/man/man1/vim.basic.1.gz (of link group vim) doesn't exist",
     0),
    (set(), "apt-get install -y net-tools",
     "perl: warning: Setting locale failed.\n"
     "perl: warning: Please check that your locale settings:\n"
     "\tLANGUAGE = (unset),\n"
     "\tLC_ALL = (unset),\n"
     "\tLANG = \"en_US.UTF-8\"\n"
     "    are supported and installed on your system.\n"
     "perl: warning: Falling back to the standard locale (\"C\").\n"
     "Setting up net-tools (2.10-0.1) ...",
     0),
    (set(), "pip install flask",
     "Collecting flask\n"
     "Installing collected packages: flask\n"
     "Successfully installed flask-3.0.3\n"
     "WARNING: Running pip as the 'root' user can result in broken permissions and conflicting b"
     "ehaviour with the system package manager. It is recommended to use a virtual environment i"
     "nstead: https://pip.pypa.io/warnings/venv",
     0),
    (set(), "pip install -e .",
     "Obtaining file:///testbed\n"
     "  Installing build dependencies: started\n"
     "  Installing build dependencies: finished with status 'done'\n"
     "Successfully installed astropy-5.3.dev0\n"
     "WARNING: There was an error checking the latest version of pip.",
     0),
    (set(), "npm install",
     "npm WARN EBADENGINE Unsupported engine {\n"
     "npm WARN EBADENGINE   package: 'vite@5.0.0',\n"
     "npm WARN EBADENGINE   required: { node: '^18.0.0 || >=20.0.0' },\n"
     "npm WARN EBADENGINE   current: { node: 'v16.20.2', npm: '8.19.4' }\n"
     "npm WARN EBADENGINE }\n"
     "\n"
     "added 30 packages in 2s",
     0),
    (set(), "git clone https://github.com/x/y.git",
     "Cloning into 'y'...\n"
     "warning: templates not found in /usr/share/git-core/templates",
     0),
    (set(), "python3 -m pytest -q",
     "....                                                                     [100%]\n"
     "=============================== warnings summary ===============================\n"
     "DeprecationWarning: pkg_resources is deprecated as an API\n"
     "4 passed, 1 warning in 0.21s",
     0),
    (set(), "python3 manage.py test",
     "Creating test database for alias 'default'...\n"
     "System check identified no issues (0 silenced).\n"
     ".....\n"
     "----------------------------------------------------------------------\n"
     "Ran 5 tests in 0.011s\n"
     "\n"
     "OK\n"
     "Destroying test database for alias 'default'...",
     0),
    (set(), "python3 reproduce.py",
     "Your command ran successfully and did not produce any output.",
     None),
    (set(), "search_dir \"does not exist\"",
     "No matches found for \"does not exist\" in /django__django",
     None),
    (set(), "ls /tmp",
     "error.log\n"
     "nohup.out\n"
     "server_errors.txt",
     0),
    (set(), "find / -name 'timeout*' 2>/dev/null | head",
     "/usr/bin/timeout\n"
     "/usr/share/doc/coreutils/timeout",
     0),
    # harness messages of the scaffolds
    ({TIMEOUT}, "python3 long.py",
     "[The command timed out after 120.0 seconds. You may wait longer to see additional output b"
     "y sending empty command '', send other commands to interact with the current process, send"
     " keys to interrupt/kill the command, or use the timeout parameter in execute_bash for futu"
     "re commands.]",
     -1),
    ({TIMEOUT}, "python3 long.py",
     "Command timed out before completing.",
     None),
    ({TIMEOUT}, "sleep 1000",
     "EXECUTION TIMED OUT BECAUSE NO OUTPUT WAS PRODUCED FOR MORE THAN 60.0 SECONDS.\n"
     "PLEASE REFINE YOUR RUNNING COMMAND SO IT WILL PRODUCE OUTPUT IN THE SPECIFIED TIME FRAME.",
     None),
    ({TIMEOUT}, "pip install torch",
     "The command 'pip install torch' was cancelled because it took more than 300 seconds. Pleas"
     "e try a different command that completes more quickly. Note: A common source of this error"
     " is if the command is interactive or requires user input (it is impossible to receive user"
     " input in the current environment, so the command will never complete).",
     None),
    # programs the agent wrote, reporting in their own words
    ({OTHER}, "python3 check_server.py",
     "Checking http://localhost:8001 ...\n"
     "Server check failed: HTTP 503",
     0),
    ({NETWORK}, "python3 check_server.py",
     "Error connecting to server: [Errno 111] Connection refused",
     0),
    ({PORT}, "python3 start.py --port 8001",
     "Failed to start server: [Errno 98] Address already in use",
     0),
    ({MODULE}, "python3 -c 'import vllm' 2>&1 | tail -1",
     "ModuleNotFoundError: No module named 'vllm'",
     0),
    ({CMD}, "which lsof || echo missing",
     "missing",
     0),
    ({FILE}, "ls /opt/model 2>&1 | head -1",
     "ls: cannot access '/opt/model': No such file or directory",
     0),
    # reading a log of the agent's own server
    ({PORT}, "tail -n 20 /tmp/vllm.log",
     "INFO 05-02 10:00:00 api_server.py:219] vLLM API server version 0.4.1\n"
     "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8001): address "
     "already in use",
     0),
    ({MODULE}, "cat nohup.out",
     "Traceback (most recent call last):\n"
     "  File \"/app/serve.py\", line 1, in <module>\n"
     "    import fastapi\n"
     "ModuleNotFoundError: No module named 'fastapi'",
     0),
    ({OOM}, "tail -5 logs/train.txt",
     "epoch 3 step 200\n"
     "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.00 GiB",
     0),
    # zsh and busybox
    ({FILE}, "cd /nonexistent",
     "cd: no such file or directory: /nonexistent",
     1),
    ({FILE}, "cat missing.txt",
     "cat: can't open 'missing.txt': No such file or directory",
     1),
    ({PERM}, "rm /etc/hosts",
     "rm: can't remove '/etc/hosts': Permission denied",
     1),
    ({CMD}, "lsof",
     "zsh:1: command not found: lsof",
     127),
    ({PERM}, "./run.sh",
     "zsh: permission denied: ./run.sh",
     126),
    ({SYNTAX}, "echo $((",
     "zsh: parse error near `)'",
     1),
    ({SYNTAX}, "for i in 1 2; echo $i; done",
     "Your bash command contained syntax errors and was NOT executed. Please fix the syntax erro"
     "rs and try again. This can be the result of not adhering to the syntax for multi-line comm"
     "ands. Here is the output of `bash -n`:\n"
     "\n"
     "bash: line 1: syntax error near unexpected token `echo'",
     None),
    ({SYNTAX}, "bash -c 'for i in 1 2; echo $i; done'",
     "bash: -c: line 1: syntax error near unexpected token `echo'\n"
     "bash: -c: line 1: `for i in 1 2; echo $i; done'",
     2),
]


def test_scaffolds_and_shells(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
