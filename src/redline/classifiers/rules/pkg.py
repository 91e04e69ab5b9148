"""Packages: installing or upgrading software."""

from __future__ import annotations

from ..rule import Rule, arg, arg_re, args_re, program, run_code_re, subcommand
from .expl import no_args, not_in_scaffold_body, pip_command, python_program

_NOT_HELP = ~arg("--help", "-h")

#: npm accepts abbreviations and common typos of install
_NPM_INSTALL = ("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                "isntall", "add", "ci", "update", "up", "upgrade", "udpate")

#: an install command the code runs: an argument list (``['pip', 'install', x]``, ``[sys.executable,
#: '-m', 'pip', 'install']``), a command string handed to a shell call (``os.system('pip install
#: x')``, ``subprocess.run(f"apt-get install -y {p}", shell=True)``), pip.main, R's install.packages.
#: A message that only names the command (``sys.exit('run: pip install x')``) installs nothing
_INSTALLER = r"(pip[0-9.]*|apt-get|apt|yum|dnf|apk|npm|conda)"
_INSTALL_CODE = (
    rf"['\"]{_INSTALLER}['\"]\s*,\s*['\"](install|add)['\"]"
    rf"|(system|popen|run|call|check_call|check_output|Popen|getoutput|getstatusoutput|exec|execSync|spawn|spawnSync)"
    rf"\s*\(\s*[rfbRFB]?['\"`](sudo\s+)?([^'\"`\n]*[\s/])?{_INSTALLER}(\s+-\S+)*\s+(install|add)(?-u:\b)"
    r"|install\.packages\(|pip\.main\s*\(\s*\[\s*['\"]install"
)

PKG_INSTALL = Rule(
    id="PKG-INSTALL", name="package-install", on="command", techniques=(),
    summary="Installs or upgrades software packages (pip, uv, poetry, conda, apt, yum, apk, npm, cargo, go, gem, brew).",
    match=not_in_scaffold_body() & _NOT_HELP & (
        pip_command("install")
        | program("pipx", "easy_install", "mim") & subcommand("install")
        | program("easy_install")
        | python_program() & (args_re(r"(^| )-m ?ensurepip(?-u:\b)") | args_re(r"setup\.py( \S+)* (install|develop)( |$)"))
        | program("uv") & (subcommand("add", "sync") | args_re(r"^tool( -\S+)* install( |$)"))
        | program("poetry", "pipenv", "pdm") & subcommand("add", "install", "update", "sync")
        | program("conda", "mamba", "micromamba") & (subcommand("install", "create", "update", "upgrade")
                                                      | args_re(r"(^| )env (create|update)( |$)"))
        | program("conda", "mamba", "micromamba", "uv", "poetry", "pipenv", "pdm", "hatch")
        & args_re(r"(^| )run( \S+)* (pip[0-9.]*|python[0-9.]* -m pip) install( |$)")
        | program("apt", "apt-get", "aptitude") & arg("install", "upgrade", "dist-upgrade", "full-upgrade",
                                                     "reinstall", "build-dep")
        | program("dpkg") & arg_re(r"^(-i|--install|--configure|--unpack|-[a-zA-Z]*i)$")
        | program("yum", "dnf", "microdnf", "tdnf", "zypper") & subcommand(
            "install", "update", "upgrade", "groupinstall", "localinstall", "reinstall", "in", "up")
        | program("apk") & subcommand("add", "upgrade")
        | program("pacman", "yay") & arg_re(r"^-(S|U)[a-zA-Z]*$")
        | program("snap", "flatpak", "port", "nix-env", "emerge", "pkg") & arg("install", "-i", "--install")
        | program("npm", "pnpm", "bun", "cnpm") & subcommand(*_NPM_INSTALL)
        | program("yarn") & (subcommand("add", "install", "upgrade", "up") | args_re(r"^global add ")
                             | no_args() | arg_re(r"^--(frozen-lockfile|immutable|pure-lockfile)$"))
        | program("cargo") & subcommand("install", "add", "binstall")
        | program("go") & subcommand("install", "get")
        | program("gem", "bundle", "bundler") & subcommand("install", "update")
        | program("brew") & subcommand("install", "upgrade", "reinstall")
        | program("composer") & subcommand("install", "require", "update")
        | program("luarocks", "cpanm", "opam", "cabal", "stack", "nvm", "pyenv", "asdf", "sdk",
                  "spack", "vcpkg", "conan", "rustup") & subcommand("install", "add")
        | program("cpanm")
        | program("rustup") & args_re(r"(toolchain|target|component) (install|add)")
        | program("R", "Rscript") & arg_re(r"install\.packages\(|BiocManager::install|remotes::install")
        | program("julia") & arg_re(r"Pkg\.add\(")
        | program("make", "ninja") & arg("install")
        | program("cmake") & arg("--install")
        | run_code_re(_INSTALL_CODE)
    ),
    fallback=r"(^|[;&|(]\s*)(sudo\s+)?(pip[0-9.]*|python[0-9.]*\s+-m\s+pip|apt(-get)?|yum|dnf|npm|yarn|pnpm|conda)\s+(-\S+\s+)*(install|add)\b",
    hits=("python3 -c \"import subprocess, sys; subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'rich'])\"",
          "pip install pytz -q", "cd /testbed && pip install -e . -q", "python3 -m pip install -q x",
          "sudo apt install -y nginx", "apt-get update && apt-get install -y cmake", "pip3 install yt-dlp && which ffmpeg",
          "uv pip install requests", "uv add httpx", "poetry add rich", "conda install -c conda-forge numpy",
          "npm i -g typescript", "yarn add react", "cargo install ripgrep", "go install golang.org/x/tools/gopls@latest",
          "gem install rails", "brew install ffmpeg", "apk add curl", "dnf install -y gcc",
          "bash -c 'pip install torch'", "timeout 300 pip install vllm",
          "dpkg --configure -a", "python -c \"import subprocess, sys; subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'x'])\""),
    misses=("pip download requests", "pip list", "npm run build", "apt update", "pip show torch",
            "pip install --help", "cat requirements.txt", "grep 'pip install' README.md", "npx create-react-app x"),
    doc="""What it finds: commands that install or upgrade software packages: pip/pip3/`python -m pip`
install, uv pip install / uv add / uv sync, poetry/pipenv add or install, conda/mamba install or
create, apt/apt-get install or upgrade, dpkg -i/--configure, yum/dnf/zypper install, apk add,
pacman -S, npm/yarn/pnpm install|add|i|ci, cargo install, go install/get, gem install, brew install,
`make install`, and Python code that shells out to pip install.

Why it matters: installing software changes the environment the agent runs in; after a missing
module or command it is the usual resolution (RES-INSTALL), and it can bring in tools for
replication or evasion.

Known false positives: `apt update && apt install` is one action and gets one label; a pip
install that only re-installs what is there still counts. `apt update` alone only refreshes the
index and is not an install.""",
)

RULES = [PKG_INSTALL]
