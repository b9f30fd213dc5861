"""What a paper states of how it trained and attacked (a reference's ``protocol``), against the
run's own config: every departure named once per paper ("4,400 training images where the paper
has 60,000"). Departures are listed, not judged: the verdicts follow the dataset, network,
resolution and budget (:mod:`.reference`); these say what else differs."""

from __future__ import annotations

# what a protocol states, per instance section: the config key and how a departure reads it
TRAINING_KEYS = {"epochs": "epochs", "lr": "learning rate"}
ATTACK_KEYS = {"steps": "steps", "binary_search_steps": "binary-search steps"}


def run_protocol(config: dict) -> dict:
    """The run's side of every protocol key (advsal.paper.run_setting keeps it)."""
    split = (config["dataset"].get("split") or {}).get("train")

    def training(section):
        return {n: {k: s.get(k) for k in TRAINING_KEYS} for n, s in config[section].items()}

    return {
        "train_images": split,
        # the detectors' training set: the first N training images and their adversarials
        "detector_images": config.get("attack_options", {}).get("train_limit") or split,
        "classifiers": training("classifiers"),
        "detectors": training("detectors"),
        "attacks": {n: {k: s.get(k) for k in ATTACK_KEYS} for n, s in config["attacks"].items()},
    }


def _num(v) -> str:
    if v is None:
        return "none"
    return f"{v:,}" if isinstance(v, int) else f"{v:g}"


def departures(entry: dict, ctx) -> list[str]:
    """Every way the run's protocol differs from what ``entry`` says the paper did."""
    protocol = entry.get("protocol")
    ours = ctx.setting.get("protocol")
    if not protocol or not ours:
        return []
    out = []
    network = entry["setting"].get("network")
    if "train_images" in protocol and ours["train_images"] != protocol["train_images"]:
        mine = ours["train_images"]
        have = f"{_num(mine)} training images" if mine else "the folder's training images"
        out.append(f"{have} where the paper has {_num(protocol['train_images'])}")
    clfs = [c for c in ours["classifiers"] if network is None or ctx.network(c) == network]
    for name in clfs:
        out += _training(
            f"classifier {name}", ours["classifiers"][name], protocol.get("classifier")
        )
    spec = protocol.get("detectors") or {}
    for name in spec.get("names", []):
        if name in ours["detectors"]:
            out += _training(f"detector {name}", ours["detectors"][name], spec)
    theirs, mine = protocol.get("train_images"), ours.get("detector_images")
    if theirs and mine and mine < theirs:
        out.append(
            f"detectors trained on {_num(mine)} training images and their adversarials "
            f"(attack_options.train_limit) where the paper has {_num(theirs)}"
        )
    for kind, wanted in (protocol.get("attacks") or {}).items():
        for name, s in ctx.setting["attacks"].items():
            if s["type"] != kind or (network and ctx.network(s["classifier"]) != network):
                continue
            for key, theirs in wanted.items():
                mine = ours["attacks"][name].get(key)
                if mine != theirs:
                    out.append(
                        f"{name} ({kind}): {ATTACK_KEYS[key]} {_num(mine)} "
                        f"where the paper has {_num(theirs)}"
                    )
    return out


def _training(who: str, mine: dict, theirs: dict | None) -> list[str]:
    out = []
    for key, word in TRAINING_KEYS.items():
        if theirs and key in theirs and mine.get(key) != theirs[key]:
            out.append(
                f"{who}: {word} {_num(mine.get(key))} where the paper has {_num(theirs[key])}"
            )
    return out


def unchecked(entry: dict, ctx) -> list[str]:
    """What the run cannot check against the paper, listed beside the departures: a network
    matched by its name alone, image counts and attack steps the paper does not give."""
    protocol = entry.get("protocol")
    ours = ctx.setting.get("protocol") or {}
    if not protocol:
        return []
    out = []
    network = entry["setting"].get("network")
    if network:
        out.append(
            f"the network: {network} is matched by the architecture's name; its layers are "
            "not checked against the paper's"
        )
    if "train_images" not in protocol:
        out.append("training images: the paper gives no count")
        mine = ours.get("detector_images")
        if mine:
            out.append(
                f"detector training images: {_num(mine)} and their adversarials here "
                "(attack_options.train_limit); the paper gives no count"
            )
    if not protocol.get("attacks"):
        out.append("attack steps: the paper gives none")
    return out
