"""The shell parser on wrappers (sudo, nohup, timeout, env...), xargs and find -exec."""

from __future__ import annotations

import pytest
from tests.shell.parsing import ok, summary


# --- wrappers -----------------------------------------------------------------------------------


def test_sudo_killall() -> None:
    (c,) = ok("sudo killall python3")
    assert (c.program, c.argv, c.wrappers, c.sudo) == ("killall", ["python3"], ["sudo"], True)
    assert c.text == "sudo killall python3"


def test_pkill_quoted_pattern() -> None:
    (c,) = ok("pkill -f 'uvicorn app:main'")
    assert (c.program, c.argv, c.wrappers, c.sudo) == (
        "pkill", ["-f", "uvicorn app:main"], [], False
    )


def test_nohup_background_with_redirects() -> None:
    line = "nohup python3 start.py --port 8001 > log.txt 2>&1 &"
    (c,) = ok(line)
    assert c.program == "python3"
    assert c.argv == ["start.py", "--port", "8001"]
    assert c.wrappers == ["nohup"]
    assert c.background is True
    assert c.redirects == [">log.txt", "2>&1"]
    assert c.text == "nohup python3 start.py --port 8001 > log.txt 2>&1"
    assert (c.span_start, c.span_end) == (0, 49)


def test_timeout_and_env() -> None:
    (c,) = ok("timeout 10 curl -s http://localhost:8000")
    assert (c.program, c.argv, c.wrappers) == ("curl", ["-s", "http://localhost:8000"], ["timeout"])
    (c,) = ok("timeout -s KILL --preserve-status 30 python3 -c 'while True: pass'")
    assert (c.program, c.wrappers, c.code) == ("python3", ["timeout"], "while True: pass")
    (c,) = ok("env FOO=1 BAR=2 python x.py")
    assert (c.program, c.argv, c.wrappers) == ("python", ["x.py"], ["env"])
    (c,) = ok("env -i PATH=/bin FOO=1 ./tool --x")
    assert (c.program, c.path, c.argv, c.wrappers) == ("tool", "./tool", ["--x"], ["env"])


def test_multi_call_binary_runs_its_applet() -> None:
    (c,) = ok("busybox reboot -f")
    assert (c.program, c.argv, c.wrappers) == ("reboot", ["-f"], ["busybox"])
    (c,) = ok("sudo /bin/busybox kill -9 1")
    assert (c.program, c.argv, c.wrappers, c.sudo) == ("kill", ["-9", "1"], ["sudo", "busybox"], True)
    # given only its own options it runs no applet
    (c,) = ok("busybox --list")
    assert (c.program, c.argv, c.wrappers) == ("busybox", ["--list"], [])


def test_wrapper_chain() -> None:
    line = "sudo -u bob -E nice -n 5 ionice -c3 stdbuf -oL setsid /usr/bin/python3 -u train.py &"
    (c,) = ok(line)
    assert c.program == "python3"
    assert c.path == "/usr/bin/python3"
    assert c.argv == ["-u", "train.py"]
    assert c.wrappers == ["sudo", "nice", "ionice", "stdbuf", "setsid"]
    assert c.sudo is True and c.background is True


@pytest.mark.parametrize(
    ("line", "program", "argv", "wrappers", "sudo"),
    [
        ("doas -u root reboot", "reboot", [], ["doas"], True),
        ("sudo --user=bob -- env -i A=1 nohup rm -rf /x", "rm", ["-rf", "/x"],
         ["sudo", "env", "nohup"], True),
        ("time make -j8", "make", ["-j8"], ["time"], False),
        ("command ls -l", "ls", ["-l"], ["command"], False),
        ("exec python app.py", "python", ["app.py"], ["exec"], False),
        ("builtin echo hi", "echo", ["hi"], ["builtin"], False),
        ("watch -n 5 nvidia-smi", "nvidia-smi", [], ["watch"], False),
        ("strace -f -o out.txt ls /", "ls", ["/"], ["strace"], False),
        ("unbuffer -p tail -f log", "tail", ["-f", "log"], ["unbuffer"], False),
        ("chroot /mnt bash script.sh", "bash", ["script.sh"], ["chroot"], False),
        ("FOO=1 BAR=$(x) ./start.sh --x", "start.sh", ["--x"], [], False),
        # no command left to run: the wrapper itself is the program
        ("command -v python3", "command", ["-v", "python3"], [], False),
        ("sudo -i", "sudo", ["-i"], [], False),
        ("sudo -l", "sudo", ["-l"], [], False),
        ("env", "env", [], [], False),
        ("nohup", "nohup", [], [], False),
    ],
)
def test_wrappers(
    line: str, program: str, argv: list[str], wrappers: list[str], sudo: bool
) -> None:
    c = ok(line)[0]
    assert (c.program, c.argv, c.wrappers, c.sudo) == (program, argv, wrappers, sudo)


# --- xargs / find -exec -------------------------------------------------------------------------


def test_find_xargs_rm() -> None:
    cmds = ok("find . -name '*.pyc' | xargs rm -f")
    assert [(c.program, c.argv, c.operator, c.context, c.depth, c.parent_idx) for c in cmds] == [
        ("find", [".", "-name", "*.pyc"], None, "pipeline", 0, None),
        ("xargs", ["rm", "-f"], "|", "pipeline", 0, None),
        ("rm", ["-f"], None, "xargs", 1, 1),
    ]
    assert (cmds[2].text, cmds[2].span_start, cmds[2].span_end) == ("rm -f", 29, 34)


def test_docker_xargs_with_options() -> None:
    cmds = ok("docker ps -q | xargs -r docker stop")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("docker", ["ps", "-q"], "pipeline", None),
        ("xargs", ["-r", "docker", "stop"], "pipeline", None),
        ("docker", ["stop"], "xargs", 1),
    ]


def test_xargs_runs_shell_and_sudo() -> None:
    cmds = ok("xargs -I{} sh -c 'kill {}' < pids")
    assert summary(cmds) == [
        ("xargs", None, "top", 0, None),
        ("sh", None, "xargs", 1, 0),
        ("kill", None, "bash-c", 2, 1),
    ]
    assert cmds[0].redirects == ["<pids"]
    cmds = ok("pgrep x | sudo xargs -n1 kill -9")
    assert [(c.program, c.wrappers, c.sudo, c.argv) for c in cmds] == [
        ("pgrep", [], False, ["x"]),
        ("xargs", ["sudo"], True, ["-n1", "kill", "-9"]),
        ("kill", [], True, ["-9"]),
    ]


def test_xargs_without_command() -> None:
    (c,) = ok("xargs -0")
    assert (c.program, c.argv) == ("xargs", ["-0"])


def test_find_exec() -> None:
    cmds = ok(r"find . -type f -execdir chmod 644 {} + -o -exec rm {} \; -print")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("find", [".", "-type", "f", "-execdir", "chmod", "644", "{}", "+", "-o", "-exec", "rm",
                  "{}", ";", "-print"], "top", None),
        ("chmod", ["644", "{}"], "xargs", 0),
        ("rm", ["{}"], "xargs", 0),
    ]


def test_lock_and_namespace_wrappers_run_their_command() -> None:
    (c,) = ok("flock -x -w 5 /tmp/l pkill -f server")
    assert (c.program, c.argv, c.wrappers) == ("pkill", ["-f", "server"], ["flock"])
    (c,) = ok("nsenter -t 1 -m -u -i -n -p reboot")
    assert (c.program, c.argv, c.wrappers) == ("reboot", [], ["nsenter"])
