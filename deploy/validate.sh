#!/usr/bin/env bash
# Offline checks of everything under deploy/, including the one image recipe
# deploy/docker/Dockerfile. No Docker engine or cluster needed. Exit status is non-zero if any
# check fails.
#
#   bash deploy/validate.sh
#
# - every *.yaml / *.yml under deploy/ parses (PyYAML, installed into a throwaway venv under
#   .infra/ when python3 lacks it)
# - Kubernetes: every document has apiVersion, kind and metadata.name; kustomization resources
#   exist; Deployments have readiness (/readyz) and liveness (/healthz) probes, resource
#   requests/limits and selectors matching their pod labels; referenced ConfigMaps/Secrets
#   and keys are defined (Secret keys: secret.example.yaml); every service has a Service and
#   a migration Job running `python -m <pkg> migrate`
# - compose: `docker compose config -q` when the compose plugin works (else docker-compose v1
#   if installed); structural checks always; every service built from deploy/docker/Dockerfile
#   (the four services and the gateway must be) has the repository root as context and build
#   args MEMBER_DIR, PACKAGE, MODULE that exist: MEMBER_DIR is a uv workspace member whose
#   pyproject.toml names PACKAGE, and MEMBER_DIR/MODULE/__init__.py exists
# - kustomize build deploy/k8s when kustomize or kubectl is installed
# - deploy/docker/Dockerfile: two stages, python:3.11-slim base, pinned uv, dependency layer
#   before the code, editable `uv sync --package "${PACKAGE}"`, non-root uid 10001, data dir,
#   FIRESAFE_* env (FIRESAFE_MODULE from the MODULE arg), EXPOSE 8000, exec-form ENTRYPOINT of
#   deploy/docker/entrypoint.sh (executable, `exec python -m "$FIRESAFE_MODULE" "$@"`); its
#   header has a `docker build` line per image agreeing with the compose args; no per-package
#   Dockerfile is left in a workspace member
# - shell scripts: bash -n (and shellcheck when installed)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
INFRA_DIR=${FIRESAFE_INFRA_DIR:-$REPO_ROOT/.infra}

failures=0
ok() { printf '  ok    %s\n' "$*"; }
bad() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
section() { printf '%s\n' "$*"; }

# ---- a python3 that can import yaml -------------------------------------------------------
PY=python3
if ! "$PY" -c 'import yaml' >/dev/null 2>&1; then
    venv=$INFRA_DIR/validate-venv
    if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import yaml' >/dev/null 2>&1; then
        section "installing PyYAML into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q pyyaml
    fi
    PY=$venv/bin/python
fi

# ---- shell scripts --------------------------------------------------------------------------
section "shell scripts"
while IFS= read -r -d '' script; do
    rel=${script#"$REPO_ROOT"/}
    if bash -n "$script"; then ok "bash -n $rel"; else bad "bash -n $rel"; fi
    if command -v shellcheck >/dev/null 2>&1; then
        if shellcheck -S warning "$script"; then ok "shellcheck $rel"; else bad "shellcheck $rel"; fi
    fi
done < <(find "$REPO_ROOT/deploy" -name '*.sh' -type f -print0 | sort -z)

# ---- docker compose (only if the compose plugin runs here) --------------------------------
section "docker compose"
if docker compose version >/dev/null 2>&1; then
    if FIRESAFE_JWT_SECRET=${FIRESAFE_JWT_SECRET:-validate-only-0123456789abcdef0123456789} \
        docker compose -f "$REPO_ROOT/deploy/compose/compose.yaml" config -q; then
        ok "docker compose config -q"
    else
        bad "docker compose config -q"
    fi
elif command -v docker-compose >/dev/null 2>&1; then
    # Compose v1 (Debian's docker-compose) predates the top-level "name:" key: check a copy
    # without it, from the same directory so relative paths resolve the same way.
    tmp_compose=$REPO_ROOT/deploy/compose/.validate-compose.yaml
    grep -v '^name:' "$REPO_ROOT/deploy/compose/compose.yaml" >"$tmp_compose"
    if FIRESAFE_JWT_SECRET=${FIRESAFE_JWT_SECRET:-validate-only-0123456789abcdef0123456789} \
        docker-compose -f "$tmp_compose" config -q; then
        ok "docker-compose (v1) config -q"
    else
        bad "docker-compose (v1) config -q"
    fi
    rm -f "$tmp_compose"
else
    ok "no docker compose here: skipped 'docker compose config' (structural checks below)"
fi

# ---- kustomize (only if a kustomize or kubectl binary is installed) -----------------------
section "kustomize"
if command -v kustomize >/dev/null 2>&1; then
    if kustomize build "$REPO_ROOT/deploy/k8s" >/dev/null; then ok "kustomize build deploy/k8s"; else bad "kustomize build deploy/k8s"; fi
elif command -v kubectl >/dev/null 2>&1; then
    if kubectl kustomize "$REPO_ROOT/deploy/k8s" >/dev/null; then ok "kubectl kustomize deploy/k8s"; else bad "kubectl kustomize deploy/k8s"; fi
else
    ok "no kustomize/kubectl here: skipped 'kustomize build' (structural checks below)"
fi

# ---- YAML, Kubernetes, compose, Dockerfiles -----------------------------------------------
section "manifests"
if "$PY" - "$REPO_ROOT" <<'PY'; then :; else failures=$((failures + 1)); fi
import fnmatch
import json
import os
import re
import shlex
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ImportError:  # python3 < 3.11: tomli if present, else a minimal reader below
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

root = Path(sys.argv[1])
deploy = root / "deploy"
fails = 0


def ok(msg):
    print(f"  ok    {msg}")


def bad(msg):
    global fails
    fails += 1
    print(f"  FAIL  {msg}")


SERVICES = {  # name -> python package
    "registry": "registry",
    "inspection": "inspection",
    "duty-roster": "duty_roster",
    "alerts": "alerts",
}
ALL = {**SERVICES, "gateway": "gateway"}
DOCKERFILE_REL = "deploy/docker/Dockerfile"
ENTRYPOINT_REL = "deploy/docker/entrypoint.sh"
BUILD_ARGS = ("MEMBER_DIR", "PACKAGE", "MODULE")


def read_toml(path):
    text = path.read_text()
    if tomllib is not None:
        return tomllib.loads(text)
    # Minimal fallback: [project] name and [tool.uv.workspace] members only.
    name = re.search(r'^\[project\][^\[]*?^name\s*=\s*"([^"]+)"', text, re.M | re.S)
    members = re.search(r"^\[tool\.uv\.workspace\][^\[]*?^members\s*=\s*(\[[^\]]*\])", text, re.M | re.S)
    data = {"project": {"name": name.group(1)} if name else {}}
    if members:
        data["tool"] = {"uv": {"workspace": {"members": json.loads(members.group(1))}}}
    return data


workspace = ((read_toml(root / "pyproject.toml").get("tool") or {}).get("uv") or {}).get("workspace") or {}
WS_MEMBERS = workspace.get("members") or []
WS_EXCLUDE = workspace.get("exclude") or []


def is_workspace_member(rel_dir):
    return any(fnmatch.fnmatch(rel_dir, pat) for pat in WS_MEMBERS) and not any(
        fnmatch.fnmatch(rel_dir, pat) for pat in WS_EXCLUDE
    )


def member_problems(args):
    """What is wrong with a MEMBER_DIR/PACKAGE/MODULE triple (empty list: nothing)."""
    missing = [k for k in BUILD_ARGS if not str(args.get(k) or "").strip()]
    if missing:
        return [f"build arg(s) {', '.join(missing)} missing or empty"]
    member_dir, package, module = (str(args[k]).strip() for k in BUILD_ARGS)
    member_dir = member_dir.rstrip("/")
    member = (root / member_dir).resolve()
    if member_dir.startswith("/") or ".." in Path(member_dir).parts or root.resolve() not in member.parents:
        return [f"MEMBER_DIR={member_dir} is not a directory inside the repository"]
    if not member.is_dir():
        return [f"MEMBER_DIR={member_dir} does not exist"]
    problems = []
    if not is_workspace_member(member_dir):
        problems.append(f"MEMBER_DIR={member_dir} is not a uv workspace member ({WS_MEMBERS})")
    pyproject = member / "pyproject.toml"
    if not pyproject.is_file():
        problems.append(f"MEMBER_DIR={member_dir} has no pyproject.toml")
    else:
        declared = (read_toml(pyproject).get("project") or {}).get("name")
        if declared != package:
            problems.append(f"PACKAGE={package} but {member_dir}/pyproject.toml names {declared!r}")
    if not module.isidentifier():
        problems.append(f"MODULE={module} is not a python module name")
    elif not (member / module / "__init__.py").is_file():
        problems.append(f"MODULE={module} but {member_dir}/{module}/__init__.py does not exist")
    return problems


def build_args(raw):
    """compose build.args: a mapping or a list of KEY=VALUE strings."""
    if isinstance(raw, dict):
        return {str(k): ("" if v is None else str(v)) for k, v in raw.items()}
    out = {}
    for item in raw or []:
        key, _, value = str(item).partition("=")
        out[key] = value
    return out


def show(path):
    """A path relative to the repository root when it is inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(root.resolve())) if root.resolve() in path.parents else str(path)


def image_repo(image):
    """firesafe/registry:local -> firesafe/registry (a registry host:port prefix is kept)."""
    image = str(image or "")
    head, sep, tag = image.rpartition(":")
    return head if sep and "/" not in tag else image

# 1. every YAML file parses
docs_by_file = {}
for path in sorted(list(deploy.rglob("*.yaml")) + list(deploy.rglob("*.yml"))):
    rel = path.relative_to(root)
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as exc:
        bad(f"{rel}: YAML error: {exc}")
        continue
    docs_by_file[path] = docs
    ok(f"{rel}: parses ({len(docs)} document(s))")

# 2. Kubernetes manifests
k8s = deploy / "k8s"
objects = []  # (file, doc)
for path, docs in docs_by_file.items():
    if k8s not in path.parents or path.name == "kustomization.yaml":
        continue
    for i, doc in enumerate(docs):
        where = f"{path.relative_to(root)}[{i}]"
        if not isinstance(doc, dict):
            bad(f"{where}: not a mapping")
            continue
        missing = [k for k in ("apiVersion", "kind") if not doc.get(k)]
        if not (doc.get("metadata") or {}).get("name"):
            missing.append("metadata.name")
        if missing:
            bad(f"{where}: missing {', '.join(missing)}")
        else:
            objects.append((path, doc))
ok(f"k8s: {len(objects)} objects have apiVersion, kind and metadata.name")

kust_path = k8s / "kustomization.yaml"
if kust_path in docs_by_file:
    kust = docs_by_file[kust_path][0]
    for res in kust.get("resources", []):
        if (k8s / res).exists():
            ok(f"kustomization resource {res} exists")
        else:
            bad(f"kustomization resource {res} missing")
    listed = {(k8s / r).resolve() for r in kust.get("resources", [])}
    for path in sorted(k8s.glob("*.yaml")):
        if path.name not in ("kustomization.yaml", "secret.example.yaml") and path.resolve() not in listed:
            bad(f"{path.relative_to(root)} is not listed in kustomization.yaml resources")
else:
    bad("deploy/k8s/kustomization.yaml missing")

by_kind = {}
for path, doc in objects:
    by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
configmaps = by_kind.get("ConfigMap", {})
secrets = by_kind.get("Secret", {})


def check_env_refs(owner, container):
    for env in container.get("env", []) or []:
        src = env.get("valueFrom") or {}
        if "secretKeyRef" in src:
            ref = src["secretKeyRef"]
            keys = (secrets.get(ref["name"]) or {}).get("stringData") or (secrets.get(ref["name"]) or {}).get("data") or {}
            if ref["name"] not in secrets:
                bad(f"{owner}: Secret {ref['name']} not defined (secret.example.yaml)")
            elif ref["key"] not in keys:
                bad(f"{owner}: Secret {ref['name']} has no key {ref['key']}")
        if "configMapKeyRef" in src:
            ref = src["configMapKeyRef"]
            if ref["key"] not in ((configmaps.get(ref["name"]) or {}).get("data") or {}):
                bad(f"{owner}: ConfigMap {ref['name']} has no key {ref['key']}")
    for env_from in container.get("envFrom", []) or []:
        name = (env_from.get("configMapRef") or {}).get("name")
        if name and name not in configmaps:
            bad(f"{owner}: ConfigMap {name} not defined")


deployments = by_kind.get("Deployment", {})
for name, pkg in ALL.items():
    dep = deployments.get(name)
    if dep is None:
        bad(f"k8s: Deployment {name} missing")
        continue
    spec = dep["spec"]
    tmpl = spec["template"]
    selector = spec["selector"]["matchLabels"]
    pod_labels = tmpl["metadata"]["labels"]
    if any(pod_labels.get(k) != v for k, v in selector.items()):
        bad(f"Deployment {name}: selector {selector} does not match pod labels")
    if name in SERVICES and spec.get("replicas", 1) < 2:
        bad(f"Deployment {name}: fewer than 2 replicas")
    c = tmpl["spec"]["containers"][0]
    if (c.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
        bad(f"Deployment {name}: readinessProbe is not GET /readyz")
    if (c.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/healthz":
        bad(f"Deployment {name}: livenessProbe is not GET /healthz")
    res = c.get("resources") or {}
    if not (res.get("requests") and res.get("limits")):
        bad(f"Deployment {name}: resources.requests/limits missing")
    if c.get("command") != ["python", "-m", pkg]:
        bad(f"Deployment {name}: command is not python -m {pkg}")
    check_env_refs(f"Deployment {name}", c)
    svc = by_kind.get("Service", {}).get(name)
    if svc is None:
        bad(f"k8s: Service {name} missing")
    elif any(pod_labels.get(k) != v for k, v in svc["spec"]["selector"].items()):
        bad(f"Service {name}: selector does not match the Deployment's pods")
    if name in SERVICES:
        job = by_kind.get("Job", {}).get(f"{name}-migrate")
        if job is None:
            bad(f"k8s: Job {name}-migrate missing")
        else:
            jc = job["spec"]["template"]["spec"]["containers"][0]
            if jc.get("command") != ["python", "-m", pkg, "migrate"]:
                bad(f"Job {name}-migrate: command is not python -m {pkg} migrate")
            check_env_refs(f"Job {name}-migrate", jc)
            job_labels = job["spec"]["template"]["metadata"]["labels"]
            if all(job_labels.get(k) == v for k, v in selector.items()):
                bad(f"Job {name}-migrate: pods would match the Deployment selector")
ok("k8s: Deployments, Services and migration Jobs checked")

# 3. compose structure
compose_path = deploy / "compose" / "compose.yaml"
compose = (docs_by_file.get(compose_path) or [None])[0]
if not isinstance(compose, dict):
    bad("deploy/compose/compose.yaml missing or empty")
else:
    services = compose.get("services", {})
    for needed in ("postgres", "kafka", *ALL):
        if needed not in services:
            bad(f"compose: service {needed} missing")
    for name, pkg in ALL.items():
        svc = services.get(name) or {}
        if not svc.get("build"):
            bad(f"compose: {name} has no build section")
        env = svc.get("environment") or {}
        if "${FIRESAFE_JWT_SECRET:?" not in str(env.get("FIRESAFE_JWT_SECRET", "")):
            bad(f"compose: {name} does not require FIRESAFE_JWT_SECRET")
        if env.get("KAFKA_BOOTSTRAP_SERVERS") != "kafka:9092" or env.get("FIRESAFE_ENV") != "prod":
            bad(f"compose: {name} lacks KAFKA_BOOTSTRAP_SERVERS=kafka:9092 / FIRESAFE_ENV=prod")
        if name in SERVICES and not str(env.get("DATABASE_URL", "")).startswith("postgresql+asyncpg://"):
            bad(f"compose: {name} lacks a postgresql+asyncpg DATABASE_URL")
        if "/readyz" not in str((svc.get("healthcheck") or {}).get("test")):
            bad(f"compose: {name} healthcheck does not call /readyz")
    for mount in (services.get("postgres") or {}).get("volumes", []):
        src = str(mount).split(":")[0]
        if src.startswith(".") and not (compose_path.parent / src).exists():
            bad(f"compose: postgres mounts missing {src}")
    ok("compose: services, env and healthchecks checked")

dockerfile_path = root / DOCKERFILE_REL
dockerfile_text = dockerfile_path.read_text() if dockerfile_path.is_file() else ""
if not dockerfile_text:
    bad(f"{DOCKERFILE_REL} missing or empty")

# The `docker build` lines of the Dockerfile's header: image -> build args.
header_builds = {}
for line in dockerfile_text.splitlines():
    m = re.match(r"#\s+docker build\s+(.+)$", line)
    if not m:
        continue
    toks = shlex.split(m.group(1))
    flags, args, tag, positional = {}, {}, None, []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok in ("-f", "--file", "-t", "--tag", "--build-arg") and i + 1 < len(toks):
            if tok == "--build-arg":
                key, _, value = toks[i + 1].partition("=")
                args[key] = value
            elif tok in ("-t", "--tag"):
                tag = toks[i + 1]
            else:
                flags["file"] = toks[i + 1]
            i += 2
            continue
        positional.append(tok)
        i += 1
    where = f"{DOCKERFILE_REL} header `docker build ... -t {tag}`"
    if flags.get("file") != DOCKERFILE_REL or positional != ["."] or not tag:
        bad(f"{where}: needs -f {DOCKERFILE_REL}, -t IMAGE and the repository root (.) as context")
    for problem in member_problems(args):
        bad(f"{where}: {problem}")
    header_builds[image_repo(tag)] = {k: args.get(k) for k in BUILD_ARGS}

# 3b. compose builds: which Dockerfile, which context, which args
if isinstance(compose, dict):
    built_from_it = 0
    for name, svc in (compose.get("services") or {}).items():
        build = (svc or {}).get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = (compose_path.parent / str(build.get("context", "."))).resolve()
        dockerfile = (context / str(build.get("dockerfile", "Dockerfile"))).resolve()
        if dockerfile != dockerfile_path.resolve():
            if name in ALL:
                bad(f"compose: {name} builds from {show(dockerfile)}, not {DOCKERFILE_REL}")
            elif not dockerfile.exists():
                bad(f"compose: {name} builds from missing {show(dockerfile)}")
            continue
        built_from_it += 1
        if context != root.resolve():
            bad(f"compose: {name} build context {show(context)} is not the repository root")
        args = build_args(build.get("args"))
        problems = member_problems(args)
        for problem in problems:
            bad(f"compose: {name}: {problem}")
        if name in ALL and args.get("MODULE") and args["MODULE"] != ALL[name]:
            bad(f"compose: {name}: MODULE={args.get('MODULE')}, but its k8s manifests run python -m {ALL[name]}")
        repo = image_repo(svc.get("image"))
        if not svc.get("image"):
            bad(f"compose: {name} has no image name")
        elif repo not in header_builds:
            bad(f"compose: {name}: no `docker build ... -t {repo} .` line in the {DOCKERFILE_REL} header")
        elif header_builds[repo] != {k: args.get(k) for k in BUILD_ARGS}:
            bad(f"compose: {name}: build args {args} differ from the {DOCKERFILE_REL} header's {header_builds[repo]}")
        if not problems:
            ok(f"compose: {name} <- {DOCKERFILE_REL} " + " ".join(f"{k}={args[k]}" for k in BUILD_ARGS))
    ok(f"compose: {built_from_it} service(s) built from {DOCKERFILE_REL}, args checked")

# 4. the Dockerfile


def instructions(text):
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped."""
    out, buf = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buf):
            continue
        if raw.rstrip().endswith("\\"):
            buf += raw.rstrip()[:-1] + " "
            continue
        whole = " ".join((buf + raw).split())
        buf = ""
        if whole:
            keyword, _, rest = whole.partition(" ")
            out.append((keyword.upper(), rest))
    return out


def first(stage, keyword, pattern):
    """Index of the first `keyword` instruction of `stage` matching `pattern`, else None."""
    for i, (kw, rest) in enumerate(stage):
        if kw == keyword and re.search(pattern, rest):
            return i
    return None


def arg_names(stage):
    return {rest.split("=")[0].strip() for kw, rest in stage if kw == "ARG"}


def ordered(*indexes):
    return all(i is not None for i in indexes) and list(indexes) == sorted(indexes)


if dockerfile_text:
    stages = []
    for kw, rest in instructions(dockerfile_text):
        if kw == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((kw, rest))
    build = stages[0] if stages else []
    runtime = stages[-1] if len(stages) > 1 else []
    pkg_ref = r'"?\$\{?PACKAGE\}?"?'
    entry = next((rest for kw, rest in runtime if kw == "ENTRYPOINT"), None)
    try:
        entry_argv = json.loads(entry) if entry else None
    except ValueError:
        entry_argv = None
    entry_target = entry_argv[0] if isinstance(entry_argv, list) and entry_argv else None
    module_arg = first(runtime, "ARG", r"^MODULE\b")
    module_env = first(runtime, "ENV", r'\bFIRESAFE_MODULE="?\$\{?MODULE\}?"?(\s|$)')
    checks = {
        "two stages (build, runtime)": len(stages) == 2 and re.search(r"\bAS build\b", build[0][1], re.I) is not None,
        "python:3.11-slim base": re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", dockerfile_text, re.M) is not None,
        "uv pinned (ARG UV_VERSION=x.y.z, pip install uv==${UV_VERSION})": (
            first(build, "ARG", r"^UV_VERSION=\d+\.\d+\.\d+$") is not None
            and first(build, "RUN", r'pip install .*"?uv==\$\{?UV_VERSION\}?"?') is not None
        ),
        "build stage declares ARG MEMBER_DIR, PACKAGE, MODULE": set(BUILD_ARGS) <= arg_names(build),
        "dependency layer first (pyprojects + uv.lock, --no-install-workspace sync, then the code, then the sync)": ordered(
            first(build, "COPY", r"\buv\.lock\b"),
            first(build, "COPY", r"^\$\{?MEMBER_DIR\}?/pyproject\.toml\b"),
            first(build, "RUN", r"uv sync --frozen --no-dev --no-install-workspace --package " + pkg_ref),
            first(build, "COPY", r"^\$\{?MEMBER_DIR\}?/ "),
            first(build, "RUN", r"uv sync --frozen --no-dev --package " + pkg_ref),
        ),
        "editable workspace install (no --no-editable)": "--no-editable" not in dockerfile_text,
        "runtime gets /app from the build stage": first(runtime, "COPY", r"--from=build /app /app$") is not None,
        "runtime: ARG MODULE before ENV FIRESAFE_MODULE=${MODULE}": ordered(module_arg, module_env),
        "runtime ENV FIRESAFE_HOST=0.0.0.0, FIRESAFE_PORT=8000, FIRESAFE_DATA_DIR=/var/lib/firesafe": all(
            first(runtime, "ENV", pattern) is not None
            for pattern in (r"\bFIRESAFE_HOST=0\.0\.0\.0\b", r"\bFIRESAFE_PORT=8000\b", r"\bFIRESAFE_DATA_DIR=/var/lib/firesafe\b")
        ),
        "uid/gid 10001 user and /var/lib/firesafe owned by it": (
            first(runtime, "RUN", r"useradd .*--uid 10001\b") is not None
            and first(runtime, "RUN", r"install -d -o firesafe -g firesafe .*/var/lib/firesafe\b") is not None
        ),
        "non-root USER 10001": [rest for kw, rest in runtime if kw == "USER"][-1:] in (["10001"], ["10001:10001"]),
        "EXPOSE 8000": first(runtime, "EXPOSE", r"^8000\b") is not None,
        "exec-form ENTRYPOINT of the copied, executable entrypoint.sh": (
            entry_target is not None
            and first(runtime, "COPY", r"^(--chmod=0?755 )?" + re.escape(ENTRYPOINT_REL) + " " + re.escape(entry_target) + "$") is not None
            and (
                first(runtime, "COPY", r"^--chmod=0?755 " + re.escape(ENTRYPOINT_REL)) is not None
                or first(runtime, "RUN", r"chmod (0?755|\+x|a\+x) " + re.escape(entry_target) + r"\b") is not None
            )
        ),
        "no CMD that would repeat the module": first(runtime, "CMD", r"python") is None,
        "build-context comment": "BUILD CONTEXT IS THE REPOSITORY ROOT" in dockerfile_text,
        "header has a `docker build` line for each of " + ", ".join(ALL): all(f"firesafe/{n}" in header_builds for n in ALL),
    }
    failed = [k for k, v in checks.items() if not v]
    for k in failed:
        bad(f"{DOCKERFILE_REL}: {k}")
    if not failed:
        ok(f"{DOCKERFILE_REL}: {len(checks)} checks")

entrypoint = root / ENTRYPOINT_REL
if not entrypoint.is_file():
    bad(f"{ENTRYPOINT_REL} missing")
else:
    text = entrypoint.read_text()
    if not os.access(entrypoint, os.X_OK):
        bad(f"{ENTRYPOINT_REL} is not executable (chmod 0755)")
    elif not re.match(r"#!/bin/(ba)?sh\b", text):
        bad(f"{ENTRYPOINT_REL}: no #!/bin/sh shebang")
    elif not re.search(r'^\s*exec python -m "\$\{?FIRESAFE_MODULE\b[^"]*" "\$@"\s*$', text, re.M):
        bad(f'{ENTRYPOINT_REL}: no `exec python -m "$FIRESAFE_MODULE" "$@"` line')
    else:
        ok(f"{ENTRYPOINT_REL}: executable, exec python -m \"$FIRESAFE_MODULE\" \"$@\"")

# One recipe only: no per-package Dockerfile left in a workspace member.
member_dirs = sorted(
    {p.parent for pat in WS_MEMBERS for p in root.glob(f"{pat}/pyproject.toml")}
    | {(root / str(a.get("MEMBER_DIR") or "").rstrip("/")).resolve() for a in header_builds.values() if a.get("MEMBER_DIR")}
)
member_dirs = [d for d in member_dirs if root.resolve() in d.resolve().parents]
stale = [str((d / "Dockerfile").resolve().relative_to(root.resolve())) for d in member_dirs if (d / "Dockerfile").exists()]
for rel in stale:
    bad(f"{rel}: stale per-package Dockerfile, build from {DOCKERFILE_REL} with build args instead")
if not stale:
    ok(f"no per-package Dockerfile in the {len(member_dirs)} workspace members")

sys.exit(1 if fails else 0)
PY

if [[ $failures -gt 0 ]]; then
    echo "validate: FAILED ($failures failing check group(s))"
    exit 1
fi
echo "validate: all checks passed"
