"""The translation stage for real, through `medradar run`: a model that cannot be loaded, then
one that can (the tiny random-weight MarianMT of tests.support, real tokenizer)."""

import json
import re

from pipeline.config import load_settings
from pipeline.pending import PendingTranslations
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from tests.support import medradar


def use_model(config, model) -> None:
    base = "\n".join(line for line in config.read_text().splitlines() if not line.startswith(("translate:", "  ")))
    # One thread and greedy decoding: the tiny model is quick that way on a shared machine.
    config.write_text(f"{base}\ntranslate:\n  model: {model}\n  threads: 1\n  beams: 1\n")


def articles(settings, lang="zh"):
    with SqliteBackend(settings.index_path) as index:
        return [index.get(hit.id) for hit in index.search(SearchQuery(langs=[lang], limit=100)).hits]


def test_a_missing_model_leaves_articles_pending_and_a_later_run_translates_them(sample_config, tiny_marian):
    use_model(sample_config, "./no-such-model")
    first = medradar("--config", str(sample_config), "run", "--source", "yixie-guancha")
    assert first.returncode == 0, first.stderr
    missing = sample_config.parent / "no-such-model"
    assert first.stdout.count(f"translation model unavailable: {missing}: no such model directory") == 1
    pending = int(re.search(r"yixie-guancha .* → translated 0 \((\d+) pending\)", first.stdout).group(1))

    # Indexed all the same, with the original text, marked pending.
    settings = load_settings(sample_config)
    chinese = articles(settings)
    assert len(chinese) == 4 and pending == 6  # and two English articles with a Chinese headline
    assert all(a.translation.status == "pending" and a.title_en is None for a in chinese)
    assert all("no such model directory" in a.translation.error for a in chinese)
    with SqliteBackend(settings.index_path) as index:
        assert index.search(SearchQuery(text="合作", langs=["zh"])).total >= 1
    with PendingTranslations(settings.translation_dir / "pending.sqlite") as registry:
        assert list(registry.partitions().values()) == [pending]

    # A later run, with a model that loads, of another source: the pending ones are translated.
    use_model(sample_config, str(tiny_marian))
    later = medradar("--config", str(sample_config), "run", "--source", "medtech-wire")
    assert later.returncode == 0, later.stderr
    assert f"earlier pending translations: {pending} of {pending} article(s) translated now" in later.stdout
    report = rf"yixie-guancha .* → translated {pending} → with events \d+ → events \d+ \(\d+ new\) → indexed {pending} "
    assert re.search(report, later.stdout)
    chinese = articles(settings)
    assert all(a.translation.status == "done" and a.title_en and a.text_en for a in chinese)
    assert all(a.translation.model == str(tiny_marian) for a in chinese)
    # English text under a Chinese headline: two retried, one of medtech-wire's translated in its own run
    headlines = [a for a in articles(settings, "en") if a.translation]
    assert len(headlines) == 3 and all(a.title_en and a.text_en is None for a in headlines)
    with PendingTranslations(settings.translation_dir / "pending.sqlite") as registry:
        assert registry.partitions() == {}

    # An English query finds a Chinese article through its translation.
    target = chinese[0]
    english_words = set(" ".join(a.title + " " + a.text for a in articles(settings, "en")).lower().split())
    word = next(w for w in re.findall(r"[A-Za-z]{5,}", target.title_en) if w.lower() not in english_words)
    found = medradar("--config", str(sample_config), "search", word, "--json")
    hits = json.loads(found.stdout)["hits"]
    assert target.id in [hit["id"] for hit in hits]
    assert next(hit for hit in hits if hit["id"] == target.id)["title_en"] == target.title_en

    # Nothing left to do: a further run translates nothing and changes nothing.
    again = medradar("--config", str(sample_config), "run", "--source", "medtech-wire")
    assert again.returncode == 0, again.stderr
    assert "earlier pending" not in again.stdout and "yixie-guancha" not in again.stdout
    assert articles(settings) == chinese


def test_the_pipeline_translator_keeps_the_bundled_gazetteer_names(sample_config, tiny_marian):
    """The translator the stage builds from configuration knows the real gazetteer: a hospital
    comes out as its canonical English name, whatever the (random-weight) model says around it."""
    from pipeline.resources import ModelsResource

    use_model(sample_config, str(tiny_marian))
    translator = ModelsResource.from_settings(load_settings(sample_config)).translator()
    english = translator.translate("北京协和医院与美敦力签署战略合作协议。")
    assert "Peking Union Medical College Hospital" in english and "Medtronic" in english
    assert "北京协和医院" not in english and "美敦力" not in english
