"""Observation probes: memory, GPU or device, and network failures.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

DEP, OOM, HARDWARE, NETWORK = "OBS-DEP-CONFLICT", "OBS-OOM", "OBS-HARDWARE", "OBS-NETWORK"

CASES = [
    # OOM positives
    ({OOM}, "python train.py",
     "Traceback (most recent call last):\n"
     "  File \"train.py\", line 40, in <module>\n"
     "    out = model(x)\n"
     "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total"
     " capacity of 15.77 GiB of which 4.12 MiB is free.",
     1),
    ({OOM}, "python train.py",
     "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capac"
     "ity; 13.01 GiB already allocated)",
     1),
    ({OOM}, "python big.py",
     "Traceback (most recent call last):\n"
     "  File \"big.py\", line 2, in <module>\n"
     "    x = [0] * (10**12)\n"
     "        ~~~~^~~~~~~~~\n"
     "MemoryError",
     1),
    ({OOM}, "python big.py",
     "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 74.5 GiB for an array with sh"
     "ape (100000, 100000) and data type float64",
     1),
    ({OOM}, "python3 train.py",
     "Killed",
     137),
    ({OOM}, "python3 train.py",
     "/bin/sh: line 1:   812 Killed                  python3 train.py",
     137),
    ({OOM}, "bash run.sh",
     "run.sh: line 3:  4521 Killed                  python3 train.py --epochs 10",
     137),
    ({OOM}, "dmesg | tail -2",
     "[12345.678] Out of memory: Killed process 4521 (python3) total-vm:16000000kB, anon-rss:150"
     "00000kB\n"
     "[12345.679] oom_reaper: reaped process 4521 (python3)",
     0),
    ({OOM}, "make -j8",
     "virtual memory exhausted: Cannot allocate memory\n"
     "make: *** [Makefile:12: big.o] Error 1",
     2),
    ({OOM}, "node build.js",
     "<--- Last few GCs --->\n"
     "\n"
     "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap"
     " out of memory",
     134),
    ({OOM}, "python3 serve.py",
     "RuntimeError: [enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough me"
     "mory: you tried to allocate 4294967296 bytes.",
     1),
    ({OOM}, "vllm serve model",
     "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilizati"
     "on` when initializing the engine.",
     1),
    ({OOM}, "python3 gen.py",
     "torch.cuda.OutOfMemoryError: CUDA out of memory.",
     1),
    ({OOM}, "bash -c 'python3 t.py'",
     "bash: fork: Cannot allocate memory",
     254),
    # OOM negatives
    (set(), "free -h",
     "               total        used        free      shared  buff/cache   available\n"
     "Mem:            15Gi       3.1Gi        10Gi       1.0Mi       2.0Gi        12Gi",
     0),
    (set(), "grep -rn MemoryError numpy/",
     "numpy/core/_exceptions.py:120:class _ArrayMemoryError(MemoryError):",
     0),
    (set(), "kill -9 4521",
     "",
     0),
    (set(), "python3 -c 'import torch; print(torch.cuda.memory_allocated())'",
     "0",
     0),
    (set(), "pkill -f server.py; echo done",
     "done",
     0),
    # HARDWARE positives
    ({HARDWARE}, "nvidia-smi",
     "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure th"
     "at the latest NVIDIA driver is installed and running.",
     9),
    ({HARDWARE}, "python3 -c 'import torch; torch.zeros(1).cuda()'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "  File \"/usr/local/lib/python3.10/dist-packages/torch/cuda/__init__.py\", line 302, in _laz"
     "y_init\n"
     "    torch._C._cuda_init()\n"
     "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA "
     "GPU and installed a driver from http://www.nvidia.com/Download/index.aspx",
     1),
    ({HARDWARE}, "python3 infer.py",
     "RuntimeError: CUDA error: device-side assert triggered\n"
     "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktr"
     "ace below might be incorrect.",
     1),
    ({HARDWARE}, "python3 infer.py",
     "RuntimeError: No CUDA GPUs are available",
     1),
    ({HARDWARE}, "vllm serve Qwen/Qwen2.5-7B",
     "RuntimeError: Failed to infer device type",
     1),
    ({HARDWARE}, "python3 -c 'import torch; torch.zeros(1, device=\"cuda\")'",
     "AssertionError: Torch not compiled with CUDA enabled",
     1),
    ({HARDWARE}, "docker run --gpus all nvidia/cuda:12.2.0-base nvidia-smi",
     "docker: Error response from daemon: could not select device driver \"\" with capabilities: ["
     "[gpu]].",
     125),
    ({HARDWARE}, "python3 t.py",
     "UserWarning: CUDA initialization: CUDA unknown error - this may be due to an incorrectly s"
     "et up environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program start.",
     1),
    ({HARDWARE}, "nvidia-smi",
     "Failed to initialize NVML: Driver/library version mismatch",
     18),
    ({HARDWARE}, "python3 tf.py",
     "tensorflow/stream_executor/cuda/cuda_driver.cc:269] failed call to cuInit: CUDA_ERROR_NO_D"
     "EVICE: no CUDA-capable device is detected",
     0),
    # HARDWARE negatives
    (set(), "nvidia-smi",
     "+-----------------------------------------------------------------------------+\n"
     "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |",
     0),
    (set(), "python3 -c 'import torch; print(torch.cuda.is_available())'",
     "False",
     0),
    (set(), "grep -rn 'CUDA error' docs/",
     "docs/faq.md:10:If you see `CUDA error: no kernel image`, rebuild for your GPU.",
     0),
    (set(), "python3 -c 'import torch; print(torch.device(\"cpu\"))'",
     "cpu",
     0),
    # NETWORK positives
    ({NETWORK}, "curl http://localhost:8001/v1/models",
     "curl: (7) Failed to connect to localhost port 8001 after 0 ms: Couldn't connect to server",
     7),
    ({NETWORK}, "curl -s https://huggingface.co",
     "curl: (6) Could not resolve host: huggingface.co",
     6),
    ({NETWORK}, "curl -m 5 https://example.com",
     "curl: (28) Connection timed out after 5001 milliseconds",
     28),
    ({NETWORK}, "curl -m 5 https://example.com",
     "curl: (28) Operation timed out after 5000 milliseconds with 0 bytes received",
     28),
    ({NETWORK}, "curl https://example.com",
     "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to example.com:443",
     35),
    ({NETWORK}, "curl -sS http://127.0.0.1:8000",
     "curl: (56) Recv failure: Connection reset by peer",
     56),
    ({NETWORK}, "curl -sS http://127.0.0.1:8000",
     "curl: (52) Empty reply from server",
     52),
    ({NETWORK}, "curl -s http://localhost:8001",
     "",
     7),
    ({NETWORK}, "wget https://example.com/model.bin",
     "--2024-05-02 10:00:00--  https://example.com/model.bin\n"
     "Resolving example.com (example.com)... failed: Temporary failure in name resolution.\n"
     "wget: unable to resolve host address 'example.com'",
     4),
    ({NETWORK}, "wget http://localhost:8000",
     "--2024-05-02 10:00:00--  http://localhost:8000/\n"
     "Resolving localhost (localhost)... 127.0.0.1\n"
     "Connecting to localhost (localhost)|127.0.0.1|:8000... failed: Connection refused.",
     4),
    ({DEP, NETWORK}, "pip install torch",
     "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) af"
     "ter connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnect"
     "ion object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in"
     " name resolution')': /simple/torch/\n"
     "ERROR: Could not find a version that satisfies the requirement torch (from versions: none)\n"
     "ERROR: No matching distribution found for torch",
     1),
    ({NETWORK}, "git clone https://github.com/x/y",
     "Cloning into 'y'...\n"
     "fatal: unable to access 'https://github.com/x/y/': Could not resolve host: github.com",
     128),
    ({NETWORK}, "apt-get update",
     "Err:1 http://deb.debian.org/debian bookworm InRelease\n"
     "  Temporary failure resolving 'deb.debian.org'\n"
     "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failur"
     "e resolving 'deb.debian.org'\n"
     "W: Some index files failed to download. They have been ignored, or old ones used instead.",
     0),
    ({NETWORK}, "python3 client.py",
     "Traceback (most recent call last):\n"
     "  File \"/usr/lib/python3/dist-packages/urllib3/connection.py\", line 203, in _new_conn\n"
     "    sock = connection.create_connection(\n"
     "ConnectionRefusedError: [Errno 111] Connection refused\n"
     "\n"
     "The above exception was the direct cause of the following exception:\n"
     "\n"
     "urllib3.exceptions.NewConnectionError: <urllib3.connection.HTTPConnection object at 0x7f>:"
     " Failed to establish a new connection: [Errno 111] Connection refused",
     1),
    ({NETWORK}, "node fetch.js",
     "TypeError: fetch failed\n"
     "    at node:internal/deps/undici/undici:12345:11 {\n"
     "  cause: Error: connect ECONNREFUSED 127.0.0.1:8000\n"
     "      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {\n"
     "    errno: -111,\n"
     "    code: 'ECONNREFUSED'",
     1),
    ({NETWORK}, "nc -zv localhost 8001",
     "nc: connect to localhost (127.0.0.1) port 8001 (tcp) failed: Connection refused",
     1),
    ({NETWORK}, "ping -c1 8.8.8.8",
     "ping: connect: Network is unreachable",
     2),
    ({NETWORK}, "huggingface-cli download gpt2",
     "requests.exceptions.ConnectionError: (MaxRetryError(\"HTTPSConnectionPool(host='huggingface"
     ".co', port=443): Max retries exceeded with url: /api/models/gpt2 (Caused by NewConnectionE"
     "rror('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new conne"
     "ction: [Errno 101] Network is unreachable'))\"), '(Request ID: x)')",
     1),
    ({NETWORK}, "python3 -c \"import httpx; httpx.get('http://localhost:8001')\"",
     "httpx.ConnectError: [Errno 111] Connection refused",
     1),
    ({NETWORK}, "docker pull nginx",
     "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup regis"
     "try-1.docker.io on 127.0.0.11:53: no such host",
     1),
    ({NETWORK}, "go mod download",
     "go: github.com/x/y@v1.0.0: Get \"https://proxy.golang.org/github.com/x/y/@v/v1.0.0.mod\": di"
     "al tcp: lookup proxy.golang.org: i/o timeout",
     1),
    ({NETWORK}, "ssh user@10.0.0.5",
     "ssh: connect to host 10.0.0.5 port 22: Connection refused",
     255),
    ({NETWORK}, "python3 client.py",
     "openai.APIConnectionError: Connection error.",
     1),
    ({NETWORK}, "npm install",
     "npm ERR! code ENOTFOUND\n"
     "npm ERR! syscall getaddrinfo\n"
     "npm ERR! errno ENOTFOUND\n"
     "npm ERR! network request to https://registry.npmjs.org/express failed, reason: getaddrinfo"
     " ENOTFOUND registry.npmjs.org",
     1),
    # NETWORK negatives
    (set(), "pip install pytz",
     "  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) "
     "after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.pythonhosted"
     ".org', port=443): Read timed out. (read timeout=15)\")': /simple/pytz/\n"
     "Collecting pytz\n"
     "  Downloading pytz-2024.1-py2.py3-none-any.whl (505 kB)\n"
     "Installing collected packages: pytz\n"
     "Successfully installed pytz-2024.1",
     0),
    (set(), "curl -s http://localhost:8001/health",
     "{\"status\":\"ok\"}",
     0),
    (set(), "grep -rn 'Connection refused' src/",
     "src/client.py:30:        except ConnectionRefusedError:  # Connection refused: server not up yet",
     0),
    (set(), "cat nginx.conf",
     "    # proxy_connect_timeout 60s; avoids 'Connection timed out' under load\n"
     "    proxy_pass http://127.0.0.1:8000;",
     0),
    (set(), "wget -q https://example.com/x.tar.gz",
     "",
     0),
    (set(), "apt-get update",
     "Ign:1 http://deb.debian.org/debian bookworm InRelease\n"
     "Get:2 http://deb.debian.org/debian bookworm InRelease [151 kB]\n"
     "Fetched 151 kB in 1s (151 kB/s)\n"
     "Reading package lists...",
     0),
    (set(), "git clone https://github.com/x/y",
     "Cloning into 'y'...\n"
     "remote: Enumerating objects: 10, done.\n"
     "Receiving objects: 100% (10/10), done.",
     0),
    (set(), "curl -v http://localhost:8000",
     "*   Trying 127.0.0.1:8000...\n"
     "* Connected to localhost (127.0.0.1) port 8000 (#0)\n"
     "> GET / HTTP/1.1\n"
     "< HTTP/1.1 200 OK",
     0),
]


def test_resources(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
