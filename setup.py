from pathlib import Path

from setuptools import find_namespace_packages, setup

#: Where the project lives; the sdist test checks these are in the metadata.
REPOSITORY = "https://github.com/channels-classic/channels-classic"
DOCUMENTATION = "https://channels-classic.readthedocs.io/"

setup(
    # The distribution's own name: "channels" on the package index is another project (Channels
    # 4). The import package is still `channels` (docs/installation.rst says what that means).
    name="channels-classic",
    version="1.0.0.dev0",
    description="WebSockets and background work for Django, by message passing.",
    long_description=Path(__file__).with_name("README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="BSD-3-Clause",
    url=REPOSITORY,
    project_urls={
        "Documentation": DOCUMENTATION,
        "Source": REPOSITORY,
        "Issues": f"{REPOSITORY}/issues",
        "Changelog": f"{DOCUMENTATION}en/latest/releases.html",
    },
    license_files=["LICENSE"],
    # Namespace discovery also picks up data folders (Lua scripts, static files, templates).
    packages=find_namespace_packages(include=["channels", "channels.*"]),
    package_data={"": ["*.lua", "*.js", "*.mjs", "*.html", "*.css", "py.typed"]},
    include_package_data=True,
    python_requires=">=3.10",
    install_requires=[
        "Django>=4.2",
        "asgiref>=3.7",
        "daphne>=4.1",
        "msgpack>=1.0",
    ],
    extras_require={
        # hiredis: redis-py's fast reply parser (a quarter off a request's latency here).
        "redis": ["redis>=7.0", "hiredis>=2.0"],
        "crypto": ["cryptography>=42"],
        "offload": ["httpx>=0.27"],
        "metrics": ["prometheus-client>=0.20"],
        # posix_ipc: only for comparing the IPC layer's primitives (benchmarks/ipc_primitives.py).
        "bench": ["gunicorn>=22", "py-spy>=0.3", "posix_ipc>=1.1"],
        "tests": [
            "redis>=7.0",
            "hiredis>=2.0",
            "cryptography>=42",
            "pytest>=8",
            "pytest-asyncio>=0.24",
            "pytest-timeout>=2.3",
            "pytest-django>=4.9",
            "httpx>=0.27",
            "websockets>=13",
            "sphinx>=7",
            "selenium>=4.11",
            "prometheus-client>=0.20",
            # tests/packaging builds the sdist.
            "build>=1.0",
        ],
        # redis-py too: the API reference imports channels.layers.redis to document it.
        "docs": ["sphinx>=7", "redis>=7.0"],
    },
    classifiers=[
        # Python and Django versions: the ones tox.ini tests (tests/packaging checks they agree).
        "Development Status :: 4 - Beta",
        "Environment :: Web Environment",
        "Intended Audience :: Developers",
        "Operating System :: POSIX",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Framework :: Django :: 6.0",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Internet :: WWW/HTTP",
    ],
)
