"""Observation probes: the noise of commands that worked in a container, network services, Python
builds and permissions.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

MODULE, PERM, NETWORK, SYNTAX, OTHER = "OBS-MODULE-MISSING", "OBS-PERM", "OBS-NETWORK", "OBS-SYNTAX", "OBS-OTHER-ERROR"

CASES = [
    # container noise around commands that worked
    (set(), "sudo whoami",
     "sudo: unable to resolve host 4f3a2b1c9d8e: Name or service not known\n"
     "root",
     0),
    (set(), "sudo ls /root",
     "sudo: setrlimit(RLIMIT_CORE): Operation not permitted\n"
     "notes.txt",
     0),
    (set(), "bash -i -c 'echo ok'",
     "bash: cannot set terminal process group (1): Inappropriate ioctl for device\n"
     "bash: no job control in this shell\n"
     "ok",
     0),
    (set(), "su - agent -c 'id'",
     "mesg: ttyname failed: Inappropriate ioctl for device\n"
     "uid=1000(agent) gid=1000(agent) groups=1000(agent)",
     0),
    (set(), "tput cols; echo done",
     "tput: No value for $TERM and no -T specified\n"
     "done",
     0),
    # more network failures
    ({NETWORK}, "python3 client.py",
     "  + Exception Group Traceback (most recent call last):\n"
     "  |   File \"/app/client.py\", line 9, in <module>\n"
     "  |     asyncio.run(main())\n"
     "  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)\n"
     "  +-+---------------- 1 ----------------\n"
     "    | Traceback (most recent call last):\n"
     "    |   File \"/usr/lib/python3.12/asyncio/base_events.py\", line 1099, in create_connection\n"
     "    | ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8001)\n"
     "    +------------------------------------",
     1),
    ({NETWORK}, "conda install -y numpy",
     "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://conda.anaconda.org/conda-forge"
     "/linux-64/current_repodata.json>\n"
     "Elapsed: -\n"
     "\n"
     "An HTTP error occurred when trying to retrieve this URL.",
     1),
    ({NETWORK}, "python3 load.py",
     "OSError: We couldn't connect to 'https://huggingface.co' to load this file, couldn't find "
     "it in the cached files and it looks like gpt2 is not the path to a directory containing a "
     "file named config.json.",
     1),
    ({NETWORK}, "docker ps",
     "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
     1),
    ({NETWORK}, "mysql -u root",
     "ERROR 2002 (HY000): Can't connect to local MySQL server through socket '/var/run/mysqld/my"
     "sqld.sock' (2)",
     1),
    ({NETWORK}, "nslookup example.com",
     ";; connection timed out; no servers could be reached",
     1),
    ({NETWORK}, "wget https://example.com",
     "--2024-05-02 10:00:00--  https://example.com/\n"
     "Resolving example.com (example.com)... failed: Name or service not known.\n"
     "wget: unable to resolve host address 'example.com'",
     4),
    ({NETWORK}, "ping -c 1 example.com",
     "ping: unknown host example.com",
     2),
    ({NETWORK}, "redis-cli ping",
     "Could not connect to Redis at 127.0.0.1:6379: Connection refused",
     1),
    ({NETWORK}, "curl http://localhost:9090/metrics",
     "curl: (7) Failed to connect to localhost port 9090 after 0 ms: Couldn't connect to server",
     7),
    ({NETWORK}, "pip install x",
     "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) af"
     "ter connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_F"
     "AILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:100"
     "6)'))': /simple/x/\n"
     "Could not fetch URL https://pypi.org/simple/x/: There was a problem confirming the ssl cer"
     "tificate: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /"
     "simple/x/ (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED"
     "] certificate verify failed')) - skipping",
     1),
    # more Python build and version failures
    ({OTHER}, "pip install mysqlclient",
     "Collecting mysqlclient\n"
     "  Downloading mysqlclient-2.2.4.tar.gz (90 kB)\n"
     "  Installing build dependencies ... done\n"
     "  Getting requirements to build wheel ... error\n"
     "  error: subprocess-exited-with-error\n"
     "  \n"
     "  × Getting requirements to build wheel did not run successfully.\n"
     "  │ exit code: 1\n"
     "  ╰─> [27 lines of output]\n"
     "      Exception: Can not find valid pkg-config name.\n"
     "      Specify MYSQLCLIENT_CFLAGS and MYSQLCLIENT_LDFLAGS env vars manually\n"
     "      [end of output]\n"
     "  \n"
     "  note: This error originates from a subprocess, and is likely not a problem with pip.\n"
     "error: subprocess-exited-with-error",
     1),
    ({OTHER}, "pip install -e .",
     "Obtaining file:///app\n"
     "ERROR: file:///app does not appear to be a Python project: neither 'setup.py' nor 'pyproje"
     "ct.toml' found.",
     1),
    ({SYNTAX}, "pip install 'numpy=1.26'",
     "ERROR: Invalid requirement: 'numpy=1.26'\n"
     "Hint: = is not a valid operator. Did you mean == ?",
     1),
    ({MODULE}, "python3 -c 'from app import x'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "ImportError: cannot import name 'x' from 'app' (/app/app.py)",
     1),
    # permission
    ({PERM}, "ls /root",
     "ls: cannot open directory '/root': Permission denied",
     2),
    ({PERM}, "find / -name shutdown.sh",
     "find: '/proc/1/map_files': Permission denied\n"
     "/opt/agent/shutdown.sh",
     1),
    ({PERM}, "python3 -m http.server 80",
     "Traceback (most recent call last):\n"
     "  File \"/usr/lib/python3.10/socketserver.py\", line 466, in server_bind\n"
     "    self.socket.bind(self.server_address)\n"
     "PermissionError: [Errno 13] Permission denied",
     1),
]


def test_containers_services_builds(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
