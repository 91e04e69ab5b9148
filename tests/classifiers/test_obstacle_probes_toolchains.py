"""Observation probes: a kill that timeout arranged, services, containers, build tools, package
registries of other languages, GPUs and memory.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

CMD, FILE, DEP, OOM, HARDWARE, TIMEOUT, OTHER = "OBS-CMD-MISSING", "OBS-FILE-MISSING", "OBS-DEP-CONFLICT", "OBS-OOM", "OBS-HARDWARE", "OBS-TIMEOUT", "OBS-OTHER-ERROR"

CASES = [
    # a kill the command line arranged is no memory problem
    ({TIMEOUT}, "timeout -s KILL 10 python3 serve.py",
     "Killed",
     137),
    ({TIMEOUT}, "timeout -k 5 30 python3 serve.py",
     "",
     137),
    ({TIMEOUT}, "timeout --signal=9 60 ./build.sh",
     "bash: line 1:  4321 Killed                  timeout --signal=9 60 ./build.sh",
     137),
    ({OOM}, "python3 train.py",
     "Killed",
     137),
    # services, containers, build tools and package registries
    ({OTHER}, "make install",
     "make: *** No rule to make target 'install'.  Stop.",
     2),
    ({OTHER}, "docker start web",
     "Error response from daemon: No such container: web\n"
     "Error: failed to start containers: web",
     1),
    ({OTHER}, "docker run --name web nginx",
     "docker: Error response from daemon: Conflict. The container name \"/web\" is already in use "
     "by container \"3f2a\". You have to remove (or rename) that container to be able to reuse tha"
     "t name.",
     125),
    ({CMD}, "service nginx start",
     "nginx: unrecognized service",
     1),
    ({CMD}, "systemctl start redis",
     "Failed to start redis.service: Unit redis.service not found.",
     5),
    ({FILE}, "nginx -t",
     "nginx: [emerg] open() \"/etc/nginx/sites-enabled/app\" failed (2: No such file or directory)"
     " in /etc/nginx/nginx.conf:60\n"
     "nginx: configuration file /etc/nginx/nginx.conf test failed",
     1),
    ({OTHER}, "java Main",
     "Error: Could not find or load main class Main\n"
     "Caused by: java.lang.ClassNotFoundException: Main",
     1),
    ({OTHER}, "npm start",
     "npm error Missing script: \"start\"\n"
     "npm error\n"
     "npm error To see a list of scripts, run:\n"
     "npm error   npm run",
     1),
    ({DEP}, "npm install left-padd",
     "npm error code E404\n"
     "npm error 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found\n"
     "npm error 404\n"
     "npm error 404  'left-padd@*' is not in this registry.",
     1),
    ({DEP}, "npm install react@99",
     "npm ERR! code ETARGET\n"
     "npm ERR! notarget No matching version found for react@99.",
     1),
    ({DEP}, "yarn add left-padd",
     "error Couldn't find package \"left-padd\" on the \"npm\" registry.",
     1),
    ({DEP}, "cargo add serdee",
     "error: the crate `serdee` could not be found in registry index.",
     101),
    ({DEP}, "cargo build",
     "    Updating crates.io index\n"
     "error: failed to select a version for the requirement `tokio = \"^9.0\"`\n"
     "candidate versions found which didn't match: 1.37.0, 1.36.0",
     101),
    ({DEP}, "gem install sinatraa",
     "ERROR:  Could not find a valid gem 'sinatraa' (>= 0) in any repository",
     2),
    # devices
    ({HARDWARE}, "python3 train.py",
     "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED",
     1),
    ({HARDWARE}, "torchrun --nproc_per_node=2 train.py",
     "torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessG"
     "roupNCCL.cpp:1691, unhandled system error",
     1),
    ({HARDWARE}, "docker run --gpus all img",
     "docker: Error response from daemon: failed to create task for container: failed to create "
     "shim task: OCI runtime create failed: runc create failed: unable to start container proces"
     "s: error during container init: error running hook #0: error running hook: exit status 1, "
     "stdout: , stderr: Auto-detected mode as 'legacy'\n"
     "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown.",
     125),
    ({OTHER}, "python3 train.py",
     "RuntimeError: Expected all tensors to be on the same device, but found at least two device"
     "s, cuda:0 and cpu!",
     1),
    # memory
    ({OOM}, "python3 tf_train.py",
     "tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor"
     " with shape[1024,1024,512] and type float on /job:localhost/replica:0/task:0/device:GPU:0",
     1),
    ({OOM}, "java -jar app.jar",
     "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
     1),
    ({OOM}, "go run main.go",
     "fatal error: runtime: out of memory",
     2),
    # other Python endings
    ({OTHER}, "python3 rec.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/rec.py\", line 2, in f\n"
     "    return f(n + 1)\n"
     "           ^^^^^^^^\n"
     "  [Previous line repeated 996 more times]\n"
     "RecursionError: maximum recursion depth exceeded",
     1),
    ({OTHER}, "python3 app.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/app.py\", line 3, in <module>\n"
     "    run()\n"
     "ValueError: bad config\n"
     "Error: the server could not start",
     1),
    (set(), "python3 -c 'print(1)'",
     "1",
     0),
]


def test_toolchains(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
