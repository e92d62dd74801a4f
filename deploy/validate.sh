#!/usr/bin/env bash
# Offline checks of everything under deploy/ plus the five Dockerfiles. No Docker engine or
# cluster needed. Exit status is non-zero if any check fails.
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
#   if installed); structural checks always
# - kustomize build deploy/k8s when kustomize or kubectl is installed
# - Dockerfiles: base image, uv sync line, non-root user, EXPOSE 8000, CMD
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
import re
import sys
from pathlib import Path

import yaml

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
        build = svc.get("build") or {}
        dockerfile = (compose_path.parent / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()
        if not dockerfile.exists():
            bad(f"compose: {name} builds from missing {dockerfile}")
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
    ok("compose: services, build contexts, env and healthchecks checked")

# 4. Dockerfiles
for name, pkg in ALL.items():
    rel = "gateway/Dockerfile" if name == "gateway" else f"services/{name}/Dockerfile"
    path = root / rel
    if not path.exists():
        bad(f"{rel} missing")
        continue
    text = path.read_text()
    checks = {
        "python:3.11-slim base": "python:3.11-slim" in text,
        "pip install uv": re.search(r"pip install [^\n]*\buv\b", text) is not None,
        "uv sync --frozen --no-dev --package": f"uv sync --frozen --no-dev --package firesafe-{name}" in text,
        "non-root USER": re.search(r"^USER (?!root\b|0\b)\S+", text, re.M) is not None,
        "EXPOSE 8000": re.search(r"^EXPOSE 8000\b", text, re.M) is not None,
        "CMD": f'CMD ["python", "-m", "{pkg}"]' in text,
        "build-context comment": "BUILD CONTEXT IS THE REPOSITORY ROOT" in text,
    }
    failed = [k for k, v in checks.items() if not v]
    if failed:
        bad(f"{rel}: {', '.join(failed)}")
    else:
        ok(f"{rel}")

sys.exit(1 if fails else 0)
PY

if [[ $failures -gt 0 ]]; then
    echo "validate: FAILED ($failures failing check group(s))"
    exit 1
fi
echo "validate: all checks passed"
