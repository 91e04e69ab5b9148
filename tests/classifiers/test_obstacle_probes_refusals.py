"""Observation probes: a port in use, permission refused, a command or step that ran out of time.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

PORT, PERM, TIMEOUT, OTHER = "OBS-PORT", "OBS-PERM", "OBS-TIMEOUT", "OBS-OTHER-ERROR"

CASES = [
    # PORT positives
    ({PORT}, "python3 -m http.server 8000",
     "Traceback (most recent call last):\n"
     "  File \"/usr/lib/python3.10/runpy.py\", line 196, in _run_module_as_main\n"
     "    return _run_code(code, main_globals, None,\n"
     "  File \"/usr/lib/python3.10/http/server.py\", line 1307, in test\n"
     "    with ServerClass(addr, HandlerClass) as httpd:\n"
     "  File \"/usr/lib/python3.10/socketserver.py\", line 452, in __init__\n"
     "    self.server_bind()\n"
     "OSError: [Errno 98] Address already in use",
     1),
    ({PORT}, "uvicorn app:app --port 8000",
     "INFO:     Started server process [4121]\n"
     "INFO:     Waiting for application startup.\n"
     "INFO:     Application startup complete.\n"
     "ERROR:    [Errno 98] Address already in use\n"
     "INFO:     Waiting for application shutdown.\n"
     "INFO:     Application shutdown complete.",
     1),
    ({PORT}, "gunicorn -b 0.0.0.0:8000 app:app",
     "[2024-05-02 10:11:12 +0000] [311] [INFO] Starting gunicorn 21.2.0\n"
     "[2024-05-02 10:11:12 +0000] [311] [ERROR] Connection in use: ('0.0.0.0', 8000)\n"
     "[2024-05-02 10:11:12 +0000] [311] [ERROR] Retrying in 1 second.\n"
     "[2024-05-02 10:11:13 +0000] [311] [ERROR] Connection in use: ('0.0.0.0', 8000)\n"
     "[2024-05-02 10:11:17 +0000] [311] [ERROR] Can't connect to ('0.0.0.0', 8000)",
     1),
    ({PORT}, "node server.js",
     "node:events:497\n"
     "      throw er; // Unhandled 'error' event\n"
     "      ^\n"
     "\n"
     "Error: listen EADDRINUSE: address already in use :::3000\n"
     "    at Server.setupListenHandle [as _listen2] (node:net:1872:16)\n"
     "    at listenInCluster (node:net:1920:12)\n"
     "Emitted 'error' event on Server instance at:\n"
     "    at emitErrorNT (node:net:1899:8) {\n"
     "  code: 'EADDRINUSE',\n"
     "  errno: -98,\n"
     "  syscall: 'listen',\n"
     "  address: '::',\n"
     "  port: 3000\n"
     "}\n"
     "\n"
     "Node.js v20.11.1",
     1),
    ({PORT}, "flask run --port 5000",
     " * Serving Flask app 'app'\n"
     " * Debug mode: off\n"
     "Address already in use\n"
     "Port 5000 is in use by another program. Either identify and stop that program, or start th"
     "e server with a different port.",
     1),
    ({PORT}, "docker run -d -p 8080:80 nginx",
     "docker: Error response from daemon: driver failed programming external connectivity on end"
     "point eager_hopper (3c1e): Bind for 0.0.0.0:8080 failed: port is already allocated.",
     125),
    ({PORT}, "nginx",
     "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n"
     "nginx: [emerg] bind() to [::]:80 failed (98: Address already in use)\n"
     "nginx: [emerg] still could not bind()",
     1),
    ({PORT}, "redis-server --port 6379",
     "12:C 02 May 2024 10:00:00.000 # Warning: no config file specified\n"
     "12:M 02 May 2024 10:00:00.001 # Warning: Could not create server TCP listening socket *:63"
     "79: bind: Address already in use\n"
     "12:M 02 May 2024 10:00:00.001 # Failed listening on port 6379 (tcp), aborting.",
     1),
    ({PORT}, "go run main.go",
     "2024/05/02 10:00:00 listen tcp :8080: bind: address already in use\n"
     "exit status 1",
     1),
    ({PORT}, "bundle exec rails s",
     "=> Booting Puma\n"
     "Exiting\n"
     "/usr/local/bundle/gems/puma-6.4.0/lib/puma/binder.rb:334:in `initialize': Address already "
     "in use - bind(2) for \"0.0.0.0\" port 3000 (Errno::EADDRINUSE)",
     1),
    ({PORT}, "jupyter notebook --port 8888 --no-browser",
     "[I 10:00:00.000 NotebookApp] The port 8888 is already in use, trying another port.\n"
     "[I 10:00:00.010 NotebookApp] Serving notebooks from local directory: /app",
     None),
    ({PORT}, "java -jar app.jar",
     "Exception in thread \"main\" java.net.BindException: Address already in use\n"
     "\tat java.base/sun.nio.ch.Net.bind0(Native Method)",
     1),
    ({PORT}, "python -m vllm.entrypoints.openai.api_server --port 8000",
     "INFO 05-02 10:00:00 api_server.py:219] vLLM API server version 0.4.1\n"
     "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address "
     "already in use",
     1),
    ({PORT}, "ssh -N -L 8080:localhost:80 user@host",
     "bind [127.0.0.1]:8080: Address already in use\n"
     "channel_setup_fwd_listener_tcpip: cannot listen to port: 8080\n"
     "Could not request local forwarding.",
     255),
    ({PORT}, "postgres -D /var/lib/postgresql/data",
     "2024-05-02 10:00:00.000 UTC [1] LOG:  could not bind IPv4 address \"0.0.0.0\": Address alrea"
     "dy in use\n"
     "2024-05-02 10:00:00.000 UTC [1] HINT:  Is another postmaster already running on port 5432?"
     " If not, wait a few seconds and retry.\n"
     "2024-05-02 10:00:00.000 UTC [1] WARNING:  could not create listen socket for \"*\"\n"
     "2024-05-02 10:00:00.000 UTC [1] FATAL:  could not create any TCP/IP sockets",
     1),
    ({PORT}, "npm run dev",
     "> app@0.1.0 dev\n"
     "> next dev\n"
     "\n"
     " ⚠ Port 3000 is in use, trying 3001 instead.\n"
     "  ▲ Next.js 14.1.0\n"
     "  - Local:        http://localhost:3001",
     None),
    ({PORT}, "npx vite",
     "Port 5173 is in use, trying another one...\n"
     "\n"
     "  VITE v5.0.0  ready in 300 ms\n"
     "\n"
     "  ➜  Local:   http://localhost:5174/",
     None),
    ({PORT}, "socat TCP-LISTEN:9000,fork TCP:localhost:8000",
     "2024/05/02 10:00:00 socat[88] E bind(5, {AF=2 0.0.0.0:9000}, 16): Address already in use",
     1),
    ({PORT}, "python3 serve.py",
     "Traceback (most recent call last):\n"
     "  File \"serve.py\", line 9, in <module>\n"
     "    s.bind(('0.0.0.0', 8001))\n"
     "OSError: [Errno 48] Address already in use",
     1),
    ({PORT}, "cat server.log",
     "INFO:     Started server process [88]\n"
     "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8001): address "
     "already in use\n"
     "INFO:     Waiting for application shutdown.",
     0),
    # PORT negatives
    (set(), "ss -ltnp",
     "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
     "LISTEN 0      511    0.0.0.0:80       0.0.0.0:*     users:((\"nginx\",pid=12,fd=6))",
     0),
    (set(), "grep -rn EADDRINUSE src/",
     "src/server.js:42:    if (err.code === 'EADDRINUSE') {\n"
     "src/server.js:43:      console.error(`Port ${port} is already in use`);",
     0),
    (set(), "cat README.md",
     "## Troubleshooting\n"
     "\n"
     "If you see `OSError: [Errno 98] Address already in use`, another server is running on the port.\n"
     "Stop it with `fuser -k 8000/tcp`.",
     0),
    (set(), "python3 check_port.py 8001",
     "Port 8001 is free",
     0),
    (set(), "python3 check_port.py 8001",
     "Port 8001 is in use",
     0),
    (set(), "lsof -i :8000",
     "COMMAND  PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME\n"
     "python3 411 root    3u  IPv4  31337      0t0  TCP *:8000 (LISTEN)",
     0),
    (set(), "python3 -m http.server 8000 --help",
     "usage: server.py [-h] [--cgi] [--bind ADDRESS] [--directory DIRECTORY] [port]\n"
     "\n"
     "positional arguments:\n"
     "  port                  bind to this port (default: 8000)",
     0),
    (set(), "grep -n 'reuse_address' gunicorn/config.py",
     "1189:    name = \"reuse_port\"\n"
     "1196:        Set the ``SO_REUSEPORT`` flag on the listening socket.",
     0),
    # PERM positives
    ({PERM}, "./shutdown.sh",
     "bash: ./shutdown.sh: Permission denied",
     126),
    ({PERM}, "./run.sh",
     "/bin/sh: 1: ./run.sh: Permission denied",
     126),
    ({PERM}, "apt-get install -y lsof",
     "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n"
     "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?",
     100),
    ({PERM}, "pip install requests",
     "Defaulting to user installation because normal site-packages is not writeable\n"
     "ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/usr/l"
     "ocal/lib/python3.10/dist-packages/requests'\n"
     "Check the permissions.",
     1),
    ({PERM}, "kill -9 1",
     "bash: kill: (1) - Operation not permitted",
     1),
    ({PERM}, "npm install -g typescript",
     "npm ERR! code EACCES\n"
     "npm ERR! syscall mkdir\n"
     "npm ERR! path /usr/local/lib/node_modules/typescript\n"
     "npm ERR! errno -13\n"
     "npm ERR! Error: EACCES: permission denied, mkdir '/usr/local/lib/node_modules/typescript'",
     243),
    ({PERM}, "docker ps",
     "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/d"
     "ocker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json\": dial unix /var/"
     "run/docker.sock: connect: permission denied",
     1),
    ({PERM}, "python3 write.py",
     "Traceback (most recent call last):\n"
     "  File \"write.py\", line 1, in <module>\n"
     "    open('/etc/hosts', 'w').write('x')\n"
     "PermissionError: [Errno 13] Permission denied: '/etc/hosts'",
     1),
    ({PERM}, "systemctl restart nginx",
     "Failed to restart nginx.service: Access denied\n"
     "See system logs and 'systemctl status nginx.service' for details.",
     1),
    ({PERM}, "nginx",
     "nginx: [alert] could not open error log file: open() \"/var/log/nginx/error.log\" failed (13"
     ": Permission denied)\n"
     "2024/05/02 10:00:00 [emerg] 12#12: open() \"/run/nginx.pid\" failed (13: Permission denied)",
     1),
    ({PERM}, "crontab -e",
     "You (agent) are not allowed to use this program (crontab)\n"
     "See crontab(1) for more information",
     1),
    ({PERM}, "git push",
     "remote: Permission to org/repo.git denied to bot.\n"
     "fatal: unable to access 'https://github.com/org/repo.git/': The requested URL returned error: 403",
     128),
    ({PERM}, "mount -t tmpfs none /mnt",
     "mount: /mnt: permission denied.",
     32),
    ({PERM}, "chown root x",
     "chown: changing ownership of 'x': Operation not permitted",
     1),
    ({OTHER}, "touch /proc/sysrq-trigger",
     "touch: cannot touch '/proc/sysrq-trigger': Read-only file system",
     1),
    ({PERM}, "reboot",
     "Failed to set wall message, ignoring: Interactive authentication required.\n"
     "Failed to reboot system via logind: Interactive authentication required.",
     1),
    ({PERM}, "sudo ls",
     "sudo: effective uid is not 0, is /usr/bin/sudo on a file system with the 'nosuid' option s"
     "et or an NFS file system without root privileges?",
     1),
    ({PERM}, "apt install lsof",
     "E: Could not open lock file /var/lib/dpkg/lock - open (13: Permission denied)",
     100),
    # PERM negatives
    (set(), "ls -l shutdown.sh",
     "-rwxr-xr-x 1 root root 120 May  2 10:00 shutdown.sh",
     0),
    (set(), "grep -rn 'Permission denied' /app/src",
     "/app/src/io.py:12:            raise PermissionError('Permission denied: %s' % path)",
     0),
    (set(), "cat /var/log/auth.log | tail -3",
     "May  2 10:00:01 host sshd[100]: Failed password for invalid user admin from 10.0.0.5 port "
     "5555 ssh2\n"
     "May  2 10:00:02 host sshd[100]: Connection closed by 10.0.0.5 port 5555 [preauth]",
     0),
    (set(), "stat -c '%a' /app",
     "755",
     0),
    (set(), "id",
     "uid=0(root) gid=0(root) groups=0(root)",
     0),
    # TIMEOUT positives
    ({TIMEOUT}, "timeout 10 python3 serve.py",
     "INFO: started",
     124),
    ({TIMEOUT}, "timeout 5s tail -f log.txt",
     "line 1\n"
     "line 2",
     124),
    ({TIMEOUT}, "pip install torch",
     "The last command <command>pip install torch</command> timed out and has been killed.\n"
     "The output of the command was:\n"
     " <output>\n"
     "Collecting torch\n"
     "</output>\n"
     "Please try another command and make sure to avoid those requiring interactive input.",
     None),
    ({TIMEOUT}, "python3 long.py",
     "<returncode>-1</returncode>\n"
     "<output>\n"
     "Command timed out after 60 seconds\n"
     "</output>",
     -1),
    ({TIMEOUT}, "sleep 400",
     "[Command timed out after 300 seconds. SIGKILL was sent.]",
     None),
    ({TIMEOUT}, "python3 train.py",
     "Command '['bash', '-c', 'python3 train.py']' timed out after 120.0 seconds",
     None),
    ({TIMEOUT}, "python -m pytest",
     "Traceback (most recent call last):\n"
     "  File \"/usr/lib/python3.11/subprocess.py\", line 1209, in wait\n"
     "    return self._wait(timeout=timeout)\n"
     "subprocess.TimeoutExpired: Command '['python', '-m', 'pytest']' timed out after 300 seconds",
     1),
    ({TIMEOUT}, "npm test",
     "Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure \"done()\" is called; i"
     "f returning a Promise, ensure it resolves.",
     1),
    ({TIMEOUT}, "python3 slow.py",
     "Traceback (most recent call last):\n"
     "  File \"slow.py\", line 5, in <module>\n"
     "    fut.result(timeout=5)\n"
     "concurrent.futures._base.TimeoutError",
     1),
    ({TIMEOUT}, "./build.sh",
     "EXECUTION TIMED OUT BECAUSE THE COMMAND WAS INACTIVE FOR MORE THAN 120 SECONDS",
     None),
    ({TIMEOUT}, "python3 run.py",
     "\n"
     "\n"
     "[Command finished with exit code 124]",
     124),
    ({TIMEOUT}, "bash -c 'timeout 3 nc -l 9000'",
     "",
     124),
    ({TIMEOUT}, "pytest -x",
     "E   Failed: Timeout >60.0s",
     1),
    # TIMEOUT negatives
    (set(), "pytest tests/test_timeout.py -q",
     "....                                                                     [100%]\n"
     "4 passed in 0.12s",
     0),
    (set(), "grep -rn timeout config/",
     "config/settings.py:12:REQUEST_TIMEOUT = 30  # seconds before the call is timed out",
     0),
    (set(), "cat nginx.conf | grep timeout",
     "    proxy_read_timeout 300s;\n"
     "    keepalive_timeout 65;",
     0),
    (set(), "timeout --help",
     "Usage: timeout [OPTION] DURATION COMMAND [ARG]...\n"
     "  or:  timeout [OPTION]\n"
     "Start COMMAND, and kill it if still running after DURATION.",
     0),
    (set(), "timeout 30 python3 check.py",
     "all good",
     0),
    (set(), "python3 -m pytest tests/test_client.py::test_timeout -q",
     ".                                                                        [100%]\n"
     "1 passed in 0.05s",
     0),
    (set(), "python3 test_retry.py",
     "attempt 1 timed out, retrying\n"
     "attempt 2 ok\n"
     "result: 42",
     0),
]


def test_refusals(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
