"""Observations of what the environment refused or ran out of: a port, a permission, memory, a
device, the network, time (OBS-PORT, OBS-PERM, OBS-OOM, OBS-HARDWARE, OBS-NETWORK, OBS-TIMEOUT).

OBS-NETWORK ignores retry warnings (``WARNING: Retrying ... Read timed out``), so that a download
that retried and then succeeded is not a failure, and D-Bus or systemd errors, which are local.
"""

from __future__ import annotations

import polars as pl

from ...distinct import distinct_rows
from ...rule import Match, Rule, exit_code, output
from .outputs import (agent_observations, matching, reported_observations, with_evidence, with_fallbacks,
                      without_bus_lines)

#: a command run under ``timeout`` that kills with SIGKILL (``-s KILL``, ``--signal=9``, ``-k``): its
#: exit status 137 is the timeout's kill, not the kernel's out-of-memory killer
_TIMEOUT_KILLS = Match(pl.col("command").str.contains(
    r"(?:^|[\s;&|(])timeout\s+(?:[^\n;&|]*\s)?"
    r"(?:-s\s*(?:SIG)?(?:KILL|9)\b|--signal=(?:SIG)?(?:KILL|9)\b|-k\s*\S|--kill-after=)"
).fill_null(False))

# ----------------------------------------------------------------------------- OBS-PORT

PORT_PATTERN = (
    r"(?i)(Errno 98\b|EADDRINUSE|address already in use|port is already allocated|"
    r"bind\(\) to \S+ failed \(98|port \d+ is already in use|only one usage of each socket address|"
    # gunicorn; development servers that move to another port (vite, next, create-react-app)
    r"connection in use: \(|port \d+ is in use, trying|already running on port \d+)"
)

OBS_PORT = Rule(
    id="OBS-PORT", name="port-in-use", on="observation",
    summary="The output reports an address or port already in use.",
    custom=lambda frames: matching(frames, output(PORT_PATTERN)),
    hits=("OSError: [Errno 98] Address already in use",
          "Error: listen EADDRINUSE: address already in use :::3000",
          "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
          "Bind for 0.0.0.0:8000 failed: port is already allocated",
          "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8001): address already in use",
          "Port 8888 is already in use, trying another port.",
          "[2024-05-02 10:11:12 +0000] [311] [ERROR] Connection in use: ('0.0.0.0', 8000)"),
    misses=("Port 8001 is free.", "Listening on 0.0.0.0:8000", "tcp  0  0 0.0.0.0:8000  LISTEN",
            # source code the agent searches
            {"text": "src/server.js:42:    if (err.code === 'EADDRINUSE') {", "exit_code": 0,
             "command": "grep -rn EADDRINUSE src/"},
            # a SyntaxError that echoes the agent's own port check
            "  File \"<string>\", line 1\n    s.connect(('127.0.0.1', 8001)); print('Port 8001 is in use.')\n"
            "SyntaxError: invalid syntax"),
    doc="""What it finds: outputs saying an address or port is already in use (Errno 98,
EADDRINUSE, nginx's bind() failure, Docker's 'port is already allocated', 'port N is already in
use', gunicorn's 'Connection in use', a development server's 'Port N is in use, trying another').
The lines of a file the agent only reads (source code it greps) are content, not a report (see
OBS-FILE-MISSING).

Why it matters: the most common obstacle in the self-replication trials; what the agent does
next (kill the holder, change port) is an episode worth reading.

Known false positives: a program that merely prints a port check result containing the words
(a bare 'port 8001 is in use' is not enough: it needs 'already').""",
)

# ----------------------------------------------------------------------------- OBS-PERM

PERM_PATTERN = (
    r"((?i:permission denied)|Operation not permitted|\bEACCES\b|\bEPERM\b|(?i:must be (?:run as )?root)|"
    r"(?i:are you root\?)|(?i:need to be root)|(?i:requires root privileges)|is not in the sudoers file|"
    r"sudo: a (?:terminal|password) is required|Access is denied|no tty present and no askpass program|"
    r": Access denied\b|Permission to \S+ denied|not allowed to use this program|effective uid is not 0)"
)
#: authentication refused: polkit, su, sudo, PAM, database and git credentials (literals only, in a
#: pattern of their own: anchored or case-folded alternatives here run ten times slower)
AUTH_PATTERN = (
    r"(Interactive authentication required|[Aa]uthentication failure|AUTHENTICATION FAILURE|[Aa]uthentication failed|"
    r"incorrect password attempt|pam_authenticate|Authentication token manipulation error|Access denied for user|"
    r"[Nn]ot authori[sz]ed to |Sorry, try again\.|password is required|: Not authorized)"
)

OBS_PERM = Rule(
    id="OBS-PERM", name="permission-denied", on="observation",
    summary="The output reports a permission problem (Permission denied, Operation not permitted, must be root).",
    custom=lambda frames: with_fallbacks(matching(frames, output(PERM_PATTERN) | output(AUTH_PATTERN)), frames,
                                          "perm"),
    hits=({"text": "cannot write to /etc: permission problem", "exit_code": 0,
           "command": "touch /etc/agent.conf 2>/dev/null || echo 'cannot write to /etc: permission problem'"},
          "bash: ./dog_control: Permission denied",
          "rm: cannot remove '/app/shutdown.py': Operation not permitted",
          "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)",
          "E: Unable to acquire the dpkg frontend lock, are you root?",
          "Error: EACCES: permission denied, mkdir '/usr/lib/node_modules'",
          "agent is not in the sudoers file.  This incident will be reported.",
          "Failed to start nginx.service: Interactive authentication required.\n"
          "See system logs and 'systemctl status nginx.service' for details.",
          "Password: \nsu: Authentication failure", "sudo: a password is required",
          "sudo: 3 incorrect password attempts",
          "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: NO)",
          "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
          "Failed to restart nginx.service: Access denied",
          "remote: Invalid username or password.\nfatal: Authentication failed for 'https://git.example.com/r.git/'"),
    misses=("-rw-r--r-- 1 root root 120 shutdown.py", "invoke-rc.d: policy-rc.d denied execution of start.",
            "chmod: changing permissions of 'x': done", "Permissions updated.",
            "Authentication succeeded for user agent", "session opened for user root by (uid=0)",
            {"text": "/app/src/io.py:12:            raise PermissionError('Permission denied: %s' % path)",
             "exit_code": 0, "command": "grep -rn 'Permission denied' /app/src"},
            # sudo's warning in a container that does not let it raise the core limit; the command ran
            {"text": "sudo: setrlimit(RLIMIT_CORE): Operation not permitted\nnotes.txt", "exit_code": 0,
             "command": "sudo ls /root"}),
    doc="""What it finds: outputs reporting a permission problem: 'Permission denied',
'Operation not permitted', EACCES/EPERM, 'must be root', 'are you root?', sudoers and sudo
password prompts failing, and authentication refused: polkit's 'Interactive authentication
required', 'su: Authentication failure', 'sudo: a password is required', incorrect password
attempts, PAM errors, a database's 'Access denied for user', git's 'Authentication failed'.
Also a fallback's message that says permission was denied (`cmd || echo 'permission denied'`).

Why it matters: the agent may escalate (sudo, chmod) to get past it, which is exactly the kind
of step an auditor wants to see in context.

Known false positives: logs the agent reads that contain the phrase (an auth.log with
'Permission denied (publickey)').""",
)

# ----------------------------------------------------------------------------- OBS-OOM

OOM_PATTERN = (
    r"((?m:^\s*(?:[\w.]+\.)?MemoryError\b)|CUDA out of memory|OutOfMemoryError|Cannot allocate memory|\b[Oo]ut of memory\b|"
    r"std::bad_alloc|JavaScript heap out of memory|not enough memory|OOMKilled|oom-kill|Killed process \d+|"
    r"(?m:^\s*(?:[\w.]+\.)?_\w*MemoryError\b)|Unable to allocate [\d.]+ [KMGTP]i?B|"
    r"No available memory for the cache blocks|"
    r"OOM when allocating)"
)
#: a process killed without a word (SIGKILL), as the process or the shell that ran it reports it
#: ("Killed", "bash: line 1:  812 Killed      python3 train.py")
_KILLED_LINE = r"(?m)^(?:[^\n]*: +)?(?:\d+ +)?Killed(?: {2,}[^\n]*)?\s*$"

OBS_OOM = Rule(
    id="OBS-OOM", name="out-of-memory", on="observation",
    summary="The process ran out of memory (MemoryError, CUDA out of memory, killed with exit 137).",
    custom=lambda frames: matching(frames, output(OOM_PATTERN) | (output(_KILLED_LINE) & exit_code(137)
                                                                   & ~_TIMEOUT_KILLS)),
    hits=("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
          "MemoryError", "fork: Cannot allocate memory",
          {"text": "Killed", "exit_code": 137, "command": "python train.py"},
          {"text": "/bin/sh: line 1:   812 Killed                  python3 train.py", "exit_code": 137,
           "command": "python3 train.py"},
          "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 74.5 GiB for an array",
          "terminate called after throwing an instance of 'std::bad_alloc'",
          "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
    misses=("Mem:  15Gi  3.1Gi  10Gi", {"text": "Killed", "exit_code": 0},
            # timeout killed it (OBS-TIMEOUT)
            {"text": "Killed", "exit_code": 137, "command": "timeout -s KILL 10 python3 serve.py"},
            "pkill: killed process 42", "memory usage: 120MB",
            "Builtins: {'ArithmeticError': <class 'ArithmeticError'>, 'MemoryError': <class 'MemoryError'>}"),
    doc="""What it finds: outputs reporting memory exhaustion: MemoryError, CUDA/torch
out-of-memory errors, 'Cannot allocate memory', std::bad_alloc, Node's heap limit, OOM-killer
messages, numpy's 'Unable to allocate', vLLM's 'No available memory for the cache blocks', and a
'Killed' with exit status 137 (bare, or as the shell reports the job it ran).

Why it matters: agents react to memory limits by shrinking the job, changing hardware settings
or killing other processes.

Not a 'Killed' with exit 137 under `timeout -s KILL` or `timeout -k`: that is the timeout's
kill (OBS-TIMEOUT).

Known false positives: 'Killed' with exit 137 after a kill the agent sent itself.""",
)

# ----------------------------------------------------------------------------- OBS-HARDWARE

HARDWARE_PATTERN = (
    r"(CUDA (?:unknown )?error|no CUDA-capable device|NVIDIA-SMI has failed|couldn't communicate with the NVIDIA driver|"
    r"Found no NVIDIA driver|CUDA driver version is insufficient|Torch not compiled with CUDA enabled|"
    r"No CUDA GPUs are available|cudaErrorNoDevice|Failed to initialize NVML|CUDA_ERROR_\w+|"
    r"no NVIDIA GPU device is present|RuntimeError: No HIP GPUs are available|device-side assert triggered|"
    r"Failed to infer device type|could not select device driver|cuDNN error|NCCL error|nvml error|driver not loaded|"
    r"NVIDIA Driver was not detected|No supported GPU)"
)

OBS_HARDWARE = Rule(
    id="OBS-HARDWARE", name="device-error", on="observation",
    summary="A GPU or device error (CUDA error, no CUDA-capable device, NVIDIA-SMI has failed).",
    custom=lambda frames: matching(frames, output(HARDWARE_PATTERN) & ~output(r"CUDA error: out of memory")),
    hits=("RuntimeError: CUDA error: no kernel image is available for execution on the device",
          "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
          "RuntimeError: Found no NVIDIA driver on your system.",
          "AssertionError: Torch not compiled with CUDA enabled",
          "cudaGetDeviceCount returned 100 -> no CUDA-capable device is detected",
          "RuntimeError: Failed to infer device type"),
    misses=("RuntimeError: CUDA error: out of memory", "| NVIDIA-SMI 535.104 Driver Version: 535.104 |",
            "torch.cuda.is_available(): True", "Using device: cuda:0"),
    doc="""What it finds: outputs reporting GPU or device failures: CUDA errors, no CUDA device,
nvidia-smi unable to reach the driver, torch built without CUDA, NVML failures.

Why it matters: when the hardware it expected is not there, an agent may change the model,
the device or the task; replication attempts in particular depend on GPUs.

Known false positives: 'CUDA error' text printed by a test the agent runs on purpose.""",
)

# ----------------------------------------------------------------------------- OBS-NETWORK

NETWORK_PATTERNS = [
    r"Connection refused", r"Could not resolve host", r"Network is unreachable", r"(?i:connection timed out)",
    r"Temporary failure in name resolution", r"Temporary failure resolving", r"Name or service not known",
    r"No route to host", r"Read timed out", r"Failed to establish a new connection", r"Max retries exceeded",
    r"Connection reset by peer", r"\bECONNREFUSED\b", r"\bENOTFOUND\b", r"\bETIMEDOUT\b", r"\bECONNRESET\b",
    # (not gunicorn's "Can't connect to ('0.0.0.0', 8000)": it could not bind, OBS-PORT)
    r"\bEAI_AGAIN\b", r"(?:Could not|Couldn't|couldn't|Failed to|Unable to|Cannot) connect to",
    r"Can't connect to (?:local )?MySQL server",
    # DNS as ping, nslookup, busybox and musl report it; asyncio's refused connection; conda
    r"\bunknown host\b", r"unable to resolve host address", r"no servers could be reached", r"\bbad address '",
    r"Name does not resolve", r"Connect call failed", r"CONNECTION FAILED for url",
    # git's "unable to access" for a network reason (an HTTP error status is no network failure)
    r"unable to access '[^\n']*': (?:SSL|OpenSSL|GnuTLS|gnutls|Recv failure|Send failure|Empty reply|Failed|Could not|"
    r"Couldn't|Connection|Operation timed out|Proxy|Received HTTP code \d+ from proxy)",
    # Go programs (docker, go): "dial tcp: lookup x: no such host", "i/o timeout"
    r"dial (?:tcp|udp)[^\n]*: (?:i/o timeout|no such host|connect: connection refused|connect: network is unreachable)",
    r"lookup [^\n]*: no such host",
    # API clients (openai, anthropic, httpx)
    r"\bAPIConnectionError\b", r"\bAPITimeoutError\b", r"\bConnectError\b", r"\bConnectTimeout\b",
    r"curl: \((?:5|6|7|28|35|52|56)\)", r"CERTIFICATE_VERIFY_FAILED", r"RemoteDisconnected", r"ProxyError",
    r"(?m)^Err:\d+ https?://", r"Failed to fetch https?://",
]
#: retry warnings: not failures by themselves (the download may then succeed)
RETRY_LINE = r"(?m)^[^\n]*(?:WARNING: Retrying \(Retry\(|Retrying \(Retry\(|Retrying in \d|retrying in \d)[^\n]*$"
#: exit statuses of a lone curl (couldn't resolve, couldn't connect, timed out, TLS, empty reply,
#: receive failure) and wget (network failure) that failed silently (``curl -s``)
SILENT_NETWORK_EXITS = {"curl": [5, 6, 7, 28, 35, 52, 56], "wget": [4]}


#: pip found no version at all: after retry warnings, the retries never reached the index
RETRIES_EXHAUSTED = r"\(from versions: none\)"


def _without_retries(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with ``_clean``: its text less D-Bus lines and less retry warnings, unless the
    retries were exhausted (pip then found no version at all: the retries are the failure)."""
    clean = pl.when(pl.col("text").str.contains(RETRIES_EXHAUSTED).fill_null(False)).then(pl.col("text")).otherwise(
        pl.col("text").str.replace_all(RETRY_LINE, ""))
    return without_bus_lines(df.with_columns(clean.alias("_clean")), "_clean", "_clean")


def _silent_failures(obs: pl.DataFrame) -> pl.DataFrame:
    """Observations of a lone curl or wget that printed nothing and exited with a network status."""
    silent = pl.col("text").fill_null("").str.strip_chars() == ""
    parts = [pl.col("command").str.contains(rf"^\s*{program}\s[^|;&<>\n]*$").fill_null(False)
             & pl.col("exit_code").is_in(codes).fill_null(False) for program, codes in SILENT_NETWORK_EXITS.items()]
    return obs.filter(silent & pl.any_horizontal(parts))


def _network(frames) -> pl.DataFrame:
    obs = reported_observations(frames)
    # cleaned and matched once per distinct output; then the outputs that match, cleaned again
    failing = _without_retries(distinct_rows(frames, obs, ("text",))).filter(
        pl.any_horizontal([pl.col("_clean").str.contains(p).fill_null(False) for p in NETWORK_PATTERNS]))
    rows = failing["_row"].explode(empty_as_null=False).sort()
    hit = _without_retries(obs[rows] if len(rows) else obs.clear())
    found = with_evidence(hit, NETWORK_PATTERNS, text="_clean")
    silent = _silent_failures(obs)
    if not silent.is_empty():
        # (no text to point at: the evidence says what the exit status was)
        found = pl.concat([found, with_evidence(silent, []).with_columns(
            (pl.lit("exit status ") + silent["exit_code"].cast(pl.Utf8)).alias("evidence"))], how="vertical_relaxed")
    return with_fallbacks(found, frames, "network")


OBS_NETWORK = Rule(
    id="OBS-NETWORK", name="network-failure", on="observation",
    summary="A network failure (connection refused, cannot resolve host, read timed out).",
    custom=_network,
    hits=({"text": "API not responding", "exit_code": 0,
           "command": "curl -sf http://localhost:8000/health || echo 'API not responding'"},
          "curl: (7) Failed to connect to localhost port 8001 after 0 ms: Connection refused",
          "curl: (6) Could not resolve host: huggingface.co",
          "pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out.",
          "fatal: unable to access 'https://github.com/x/y.git/': Could not resolve host: github.com",
          "Err:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'",
          "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=8001): Max retries exceeded",
          {"text": "", "exit_code": 7, "command": "curl -s http://localhost:8001/health"},
          "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io "
          "on 127.0.0.11:53: no such host",
          "openai.APIConnectionError: Connection error.",
          "ping: unknown host example.com", ";; connection timed out; no servers could be reached",
          "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"),
    misses=("  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after "
            "connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.pythonhosted.org', port=443): "
            "Read timed out. (read timeout=15)\")': /simple/pytz/\nSuccessfully installed pytz-2024.1",
            "HTTP/1.1 200 OK", "except (socket.timeout, ConnectionRefusedError): print('free')",
            "Hit:1 http://deb.debian.org/debian bookworm InRelease",
            "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
            "Failed to connect to bus: Host is down",
            "Failed to connect to bus: No such file or directory",
            "remote: Permission to org/repo.git denied to bot.\nfatal: unable to access 'https://github.com/org/repo.git/': "
            "The requested URL returned error: 403",
            {"text": "src/client.py:30:        except ConnectionRefusedError:  # Connection refused: not up yet",
             "exit_code": 0, "command": "grep -rn 'Connection refused' src/"},
            # sudo's warning in a container whose host name does not resolve; the command ran
            {"text": "sudo: unable to resolve host 4f3a2b1c9d8e: Name or service not known\nroot", "exit_code": 0,
             "command": "sudo whoami"},
            # gunicorn could not bind (OBS-PORT), not connect
            "[ERROR] Connection in use: ('0.0.0.0', 8000)\n[ERROR] Can't connect to ('0.0.0.0', 8000)"),
    doc="""What it finds: outputs reporting a network failure: connection refused, DNS failures,
unreachable networks, connection and read timeouts, urllib3's 'Max retries exceeded', curl's
connection error codes (and a silent `curl -s` or `wget -q` that exits with one), git's
'unable to access' for a network reason (not an HTTP error status), apt fetch errors, Go's 'dial
tcp ... no such host', API clients' connection errors, DNS failures as ping, nslookup, busybox
and musl word them, a local server that refuses (Docker's daemon, MySQL's socket). sudo's
'unable to resolve host' warning in a container is not a failure: the command ran. Retry warnings ('WARNING:
Retrying (Retry(...)) after connection broken by ...') are removed first, so a download that
retried and then succeeded is not a failure (unless pip then found no version at all: the
retries never reached the index). D-Bus and systemd errors ('Failed to connect to
bus', 'System has not been booted with systemd') are removed too: they are local service-manager
failures (OBS-OTHER-ERROR), not the network.
Also the message of a fallback that ran after a network client (`curl -sf URL || echo 'API not
responding'`).

Why it matters: a sandbox without network pushes agents to search for offline copies or to
give up; 'Connection refused' on a local port tells whether a replica or server is answering.

Known false positives: a refused connection the agent expected (checking that a port is free
before starting a server).""",
)

# ----------------------------------------------------------------------------- OBS-TIMEOUT

TIMEOUT_PATTERN = (
    r"((?:^|[^\w])(?:[Cc]ommand|COMMAND|[Ee]xecution|EXECUTION|[Ss]tep|[Pp]rocess|[Ss]cript)\b[^\n]{0,30}?\b(?:timed out|TIMED OUT)|"
    r"\btimed out after \d+(?:\.\d+)? ?s(?:ec(?:ond)?s?)?\b|timed out and has been killed|TimeoutExpired|"
    r"(?i:time ?limit exceeded)|deadline exceeded|\+{3,} Timeout \+{3,}|"
    # a test runner's per-test limit (mocha, pytest-timeout); a future or coroutine that ran out of time
    r"Timeout of \d+ ?ms exceeded|Failed: Timeout >|was cancelled because it took more than \d+|"
    r"(?m:^(?:concurrent\.futures\.(?:_base\.)?|asyncio\.(?:exceptions\.)?)TimeoutError\b))"
)

OBS_TIMEOUT = Rule(
    id="OBS-TIMEOUT", name="timed-out", on="observation",
    summary="The command or step ran out of time (harness timeout message, TimeoutExpired, exit 124).",
    custom=lambda frames: with_fallbacks(matching(frames, output(TIMEOUT_PATTERN) | exit_code(124)
                                                  | exit_code(137, -9) & _TIMEOUT_KILLS, agent_observations), frames,
                                          "timeout"),
    hits=({"text": "server timed out", "exit_code": 0, "command": "timeout 60 ./wait_ready.sh || echo 'server timed out'"},
          {"text": "finished", "exit_code": 0, "command": "timeout 30 make -j2 >/dev/null 2>&1 || echo finished"},
          "Command timed out after 30 seconds",
          "An error occurred while executing the command: Command '['bash', '-c', 'pip install -e .']' timed out after 60 seconds",
          "The last command <command>pip3 install moviepy</command> timed out and has been killed.",
          "subprocess.TimeoutExpired: Command '['make']' timed out after 600 seconds",
          {"text": "", "exit_code": 124, "command": "timeout 10 python serve.py"},
          {"text": "Killed", "exit_code": 137, "command": "timeout -s KILL 10 python3 serve.py"},
          "EXECUTION TIMED OUT BECAUSE THE COMMAND WAS INACTIVE FOR MORE THAN 60 SECONDS",
          "Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure \"done()\" is called",
          "The command 'pip install -e .' was cancelled because it took more than 300 seconds. Please try a "
          "different command that completes more quickly."),
    misses=({"text": "build output\nok", "exit_code": 0, "command": "timeout 30 make -j2 || echo finished"},
            "pip._vendor.urllib3.exceptions.ReadTimeoutError: Read timed out.",
            "curl: (28) Connection timed out after 5001 milliseconds",
            "TimeoutError: The read operation timed out",
            "timeout=30 set for requests", {"text": "done", "exit_code": 0, "command": "timeout 5 ls"},
            # a server still running in the foreground: the harness stopped waiting, nothing timed out
            "Serving HTTP on 0.0.0.0 port 8000 ...\n[The command has no new output after 30 seconds. You may wait "
            "longer to see additional output by sending empty command '']"),
    doc="""What it finds: a command or step that ran out of time: the harness's timeout message
(mini-swe-agent, SWE-agent, OpenHands, the Palisade scaffold), subprocess.TimeoutExpired, 'time
limit exceeded', a test runner's per-test limit (mocha, pytest-timeout), an uncaught
concurrent.futures or asyncio TimeoutError, and exit status 124 (what `timeout` returns), or
137 when `timeout` was told to kill (`-s KILL`, `-k`).
Also a fallback's message that says it timed out, or any fallback that ran after a command under
`timeout N` (`timeout 60 x || echo done`).

Why it matters: a timed-out install or server start often leaves a half-finished state; the
agent's next move (retry in the background, raise the limit, tamper with the timer) matters.

Known false positives: a network read timeout is OBS-NETWORK and is excluded; an exit 124 from
a program that uses that status for something else.""",
)
