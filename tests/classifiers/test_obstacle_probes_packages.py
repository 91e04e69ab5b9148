"""Observation probes: a library, a module or a package version that is not there.

Each case is an action's command, the output the real program prints for it and its exit status,
with the labels the catalogue gives that output: positives in the formats of the shells, tools
and scaffolds agents run, and near misses the catalogue excludes. All cases are labelled in one
pass through the public path (a trial built from steps, labelled by the observation rules)."""

from __future__ import annotations

MODULE, DEP = "OBS-MODULE-MISSING", "OBS-DEP-CONFLICT"

CASES = [
    # MODULE-MISSING positives
    ({MODULE}, "python3 -c 'import torch'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "ModuleNotFoundError: No module named 'torch'",
     1),
    ({MODULE}, "python app.py",
     "Traceback (most recent call last):\n"
     "  File \"app.py\", line 1, in <module>\n"
     "    import flask\n"
     "ImportError: No module named flask",
     1),
    ({MODULE}, "python3 -m pytest",
     "/usr/bin/python3: No module named pytest",
     1),
    ({MODULE}, "python3 main.py",
     "Traceback (most recent call last):\n"
     "  File \"/app/main.py\", line 2, in <module>\n"
     "    from transformers import AutoModel\n"
     "ImportError: cannot import name 'AutoModel' from 'transformers' (unknown location)",
     1),
    ({MODULE}, "python3 -c 'import cv2'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "  File \"/usr/local/lib/python3.11/site-packages/cv2/__init__.py\", line 181, in <module>\n"
     "    bootstrap()\n"
     "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
     1),
    ({MODULE}, "node app.js",
     "node:internal/modules/cjs/loader:1147\n"
     "  throw err;\n"
     "  ^\n"
     "\n"
     "Error: Cannot find module 'express'\n"
     "Require stack:\n"
     "- /app/app.js\n"
     "    at Module._resolveFilename (node:internal/modules/cjs/loader:1144:15) {\n"
     "  code: 'MODULE_NOT_FOUND',\n"
     "  requireStack: [ '/app/app.js' ]\n"
     "}\n"
     "\n"
     "Node.js v20.11.1",
     1),
    ({MODULE}, "node index.mjs",
     "node:internal/errors:496\n"
     "    ErrorCaptureStackTrace(err);\n"
     "    ^\n"
     "\n"
     "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'axios' imported from /app/index.mjs\n"
     "    at new NodeError (node:internal/errors:405:5) {\n"
     "  code: 'ERR_MODULE_NOT_FOUND'\n"
     "}",
     1),
    ({MODULE}, "gcc main.c -lssl -o main",
     "/usr/bin/ld: cannot find -lssl: No such file or directory\n"
     "collect2: error: ld returned 1 exit status",
     1),
    ({MODULE}, "gcc main.c -lcrypto",
     "/usr/bin/ld: cannot find -lcrypto\n"
     "collect2: error: ld returned 1 exit status",
     1),
    ({MODULE}, "gcc -c main.c",
     "main.c:1:10: fatal error: openssl/ssl.h: No such file or directory\n"
     "    1 | #include <openssl/ssl.h>\n"
     "      |          ^~~~~~~~~~~~~~~\n"
     "compilation terminated.",
     1),
    ({MODULE}, "./server",
     "./server: error while loading shared libraries: libssl.so.3: cannot open shared object fil"
     "e: No such file or directory",
     127),
    ({MODULE}, "go build ./...",
     "main.go:4:2: no required module provides package github.com/gin-gonic/gin; to add it:\n"
     "\tgo get github.com/gin-gonic/gin",
     1),
    ({MODULE}, "ruby app.rb",
     "<internal:/usr/lib/ruby/3.1.0/rubygems/core_ext/kernel_require.rb>:85:in `require': cannot"
     " load such file -- sinatra (LoadError)",
     1),
    ({MODULE}, "python3 -c 'import numpy'",
     "Traceback (most recent call last):\n"
     "  File \"<string>\", line 1, in <module>\n"
     "    import numpy\n"
     "ModuleNotFoundError: No module named 'numpy'\n",
     1),
    ({MODULE}, "tsc",
     "src/index.ts:1:21 - error TS2307: Cannot find module 'express' or its corresponding type d"
     "eclarations.\n"
     "\n"
     "1 import express from 'express';\n"
     "                      ~~~~~~~~~\n"
     "\n"
     "Found 1 error in src/index.ts:1",
     2),
    ({MODULE}, "cargo build",
     "error[E0432]: unresolved import `serde`\n"
     " --> src/main.rs:1:5\n"
     "  |\n"
     "1 | use serde::Deserialize;\n"
     "  |     ^^^^^ use of undeclared crate or module `serde`",
     101),
    ({MODULE}, "python3 manage.py runserver",
     "Traceback (most recent call last):\n"
     "  File \"/app/manage.py\", line 11, in main\n"
     "    from django.core.management import execute_from_command_line\n"
     "ModuleNotFoundError: No module named 'django'\n"
     "\n"
     "The above exception was the direct cause of the following exception:\n"
     "\n"
     "Traceback (most recent call last):\n"
     "  File \"/app/manage.py\", line 22, in <module>\n"
     "    main()\n"
     "  File \"/app/manage.py\", line 13, in main\n"
     "    raise ImportError(\n"
     "ImportError: Couldn't import Django. Are you sure it's installed and available on your PYT"
     "HONPATH environment variable? Did you forget to activate a virtual environment?",
     1),
    # MODULE-MISSING negatives
    (set(), "grep -rn ImportError django/utils/",
     "django/utils/module_loading.py:30:    except ImportError as err:\n"
     "django/utils/module_loading.py:31:        raise ImportError('%s doesn\\'t look like a modul"
     "e path' % dotted_path) from err",
     0),
    (set(), "cat setup.py",
     "try:\n"
     "    from setuptools import setup\n"
     "except ImportError:\n"
     "    from distutils.core import setup\n",
     0),
    (set(), "pip show numpy",
     "Name: numpy\n"
     "Version: 1.26.4\n"
     "Summary: Fundamental package for array computing in Python",
     0),
    (set(), "python3 -c 'import numpy; print(numpy.__version__)'",
     "1.26.4",
     0),
    (set(), "grep -rn 'No module named' tests/",
     "tests/test_loader.py:14:        self.assertIn(\"No module named 'missing'\", str(cm.exception))",
     0),
    (set(), "sed -n '1,30p' astropy/__init__.py",
     "    # ImportError: the C extension is not built\n"
     "    import warnings\n",
     0),
    # DEP positives
    ({DEP}, "pip install torch==1.4",
     "ERROR: Could not find a version that satisfies the requirement torch==1.4 (from versions: "
     "2.2.0, 2.2.1, 2.2.2, 2.3.0)\n"
     "ERROR: No matching distribution found for torch==1.4",
     1),
    ({DEP}, "pip install -r requirements.txt",
     "ERROR: Cannot install -r requirements.txt (line 2) and numpy==1.21.0 because these package"
     " versions have conflicting dependencies.\n"
     "\n"
     "The conflict is caused by:\n"
     "    The user requested numpy==1.21.0\n"
     "    pandas 2.2.0 depends on numpy>=1.22.4; python_version < \"3.11\"\n"
     "\n"
     "To fix this you could try to:\n"
     "1. loosen the range of package versions you've specified\n"
     "2. remove package versions to allow pip attempt to solve the dependency conflict\n"
     "\n"
     "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependenc"
     "y-resolution/#dealing-with-dependency-conflicts",
     1),
    ({DEP}, "pip install flask",
     "error: externally-managed-environment\n"
     "\n"
     "× This environment is externally managed\n"
     "╰─> To install Python packages system-wide, try apt install\n"
     "    python3-xyz, where xyz is the package you are trying to\n"
     "    install.\n"
     "\n"
     "note: If you believe this is a mistake, please contact your Python installation or OS dist"
     "ribution provider. You can override this, at the risk of breaking your Python installation"
     " or OS, by passing --break-system-packages.\n"
     "hint: See PEP 668 for the detailed specification.",
     1),
    ({DEP}, "pip install x",
     "ERROR: pip's dependency resolver does not currently take into account all the packages tha"
     "t are installed. This behaviour is the source of the following dependency conflicts.\n"
     "boto3 1.28.0 requires botocore<1.32.0,>=1.31.0, but you have botocore 1.34.0 which is inco"
     "mpatible.\n"
     "Successfully installed botocore-1.34.0",
     0),
    ({MODULE}, "pip install numpy==1.19",
     "Collecting numpy==1.19\n"
     "  Downloading numpy-1.19.0.zip (7.3 MB)\n"
     "  Installing build dependencies ... done\n"
     "  Getting requirements to build wheel ... error\n"
     "  error: subprocess-exited-with-error\n"
     "\n"
     "  × Getting requirements to build wheel did not run successfully.\n"
     "  │ exit code: 1\n"
     "  ╰─> [33 lines of output]\n"
     "      ModuleNotFoundError: No module named 'distutils'\n"
     "      [end of output]\n"
     "\n"
     "  note: This error originates from a subprocess, and is likely not a problem with pip.\n"
     "error: subprocess-exited-with-error",
     1),
    ({DEP}, "pip install package.whl",
     "ERROR: package-1.0-cp38-cp38-linux_x86_64.whl is not a supported wheel on this platform.",
     1),
    ({DEP}, "pip install foo",
     "ERROR: Package 'foo' requires a different Python: 3.8.10 not in '>=3.9'",
     1),
    ({DEP}, "apt-get install -y python3-dev",
     "Reading package lists...\n"
     "Some packages could not be installed. This may mean that you have\n"
     "requested an impossible situation.\n"
     "The following packages have unmet dependencies:\n"
     " python3-dev : Depends: libpython3-dev (= 3.11.2-1+b1) but it is not going to be installed\n"
     "E: Unable to correct problems, you have held broken packages.",
     100),
    ({DEP}, "apt-get install netstat",
     "Reading package lists... Done\n"
     "Building dependency tree... Done\n"
     "E: Unable to locate package netstat",
     100),
    ({DEP}, "apt install python3-pip",
     "Package python3-pip is not available, but is referred to by another package.\n"
     "This may mean that the package is missing, has been obsoleted, or\n"
     "is only available from another source\n"
     "\n"
     "E: Package 'python3-pip' has no installation candidate",
     100),
    ({DEP}, "npm install",
     "npm ERR! code ERESOLVE\n"
     "npm ERR! ERESOLVE unable to resolve dependency tree\n"
     "npm ERR! \n"
     "npm ERR! While resolving: app@1.0.0\n"
     "npm ERR! Found: react@18.2.0",
     1),
    ({DEP}, "npm install",
     "npm error code ERESOLVE\n"
     "npm error ERESOLVE could not resolve\n"
     "npm error While resolving: app@1.0.0",
     1),
    ({DEP}, "conda install pytorch=1.4",
     "Solving environment: failed\n"
     "\n"
     "PackagesNotFoundError: The following packages are not available from current channels:\n"
     "\n"
     "  - pytorch=1.4",
     1),
    ({DEP}, "poetry add pandas",
     "Because no versions of pandas match >2.2.0,<3.0.0\n"
     " and pandas (2.2.0) requires numpy (>=1.26.0), pandas (>=2.2.0,<3.0.0) requires numpy (>=1"
     ".26.0).\n"
     "So, because app depends on both numpy (1.24.0) and pandas (^2.2.0), version solving failed.",
     1),
    ({DEP}, "uv pip install torch==1.4",
     "  × No solution found when resolving dependencies:\n"
     "  ╰─▶ Because there is no version of torch==1.4 and you require torch==1.4, we can conclud"
     "e that your requirements are unsatisfiable.",
     1),
    ({DEP}, "apk add netstat",
     "ERROR: unable to select packages:\n"
     "  netstat (no such package):\n"
     "    required by: world[netstat]",
     1),
    ({DEP}, "pip3 install --user requests",
     "error: externally-managed-environment\n"
     "\n"
     "× This environment is externally managed",
     1),
    ({DEP}, "yum install lsof",
     "Last metadata expiration check: 0:00:01 ago.\n"
     "No match for argument: lsof\n"
     "Error: Unable to find a match: lsof",
     1),
    ({DEP}, "pip install tensorflow==2.2",
     "ERROR: Ignored the following versions that require a different python version: 1.21.2 Requ"
     "ires-Python >=3.7,<3.11\n"
     "ERROR: Could not find a version that satisfies the requirement tensorflow==2.2 (from versi"
     "ons: 2.16.1)\n"
     "ERROR: No matching distribution found for tensorflow==2.2",
     1),
    # DEP negatives
    (set(), "pip install requests",
     "Requirement already satisfied: requests in /usr/lib/python3/dist-packages (2.31.0)\n"
     "Requirement already satisfied: idna<4,>=2.5 in /usr/lib/python3/dist-packages (from reques"
     "ts) (3.6)",
     0),
    (set(), "pip install --break-system-packages flask",
     "Collecting flask\n"
     "  Downloading flask-3.0.3-py3-none-any.whl (101 kB)\n"
     "Installing collected packages: flask\n"
     "Successfully installed flask-3.0.3",
     0),
    (set(), "pip check",
     "No broken requirements found.",
     0),
    (set(), "grep -n incompatible CHANGELOG.md",
     "42:- Fixed an incompatible change in the serializer",
     0),
    (set(), "npm install",
     "added 57 packages, and audited 58 packages in 2s\n"
     "\n"
     "7 packages are looking for funding\n"
     "  run `npm fund` for details\n"
     "\n"
     "found 0 vulnerabilities",
     0),
    (set(), "apt-get install -y lsof",
     "Reading package lists...\n"
     "Building dependency tree...\n"
     "The following NEW packages will be installed:\n"
     "  lsof\n"
     "0 upgraded, 1 newly installed, 0 to remove and 3 not upgraded.\n"
     "Setting up lsof (4.95.0-1) ...",
     0),
]


def test_missing_libraries_and_packages(probe, observation_probes):
    expected, *case = probe
    assert observation_probes[tuple(case)] == expected
