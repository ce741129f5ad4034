"""engine.report (self-contained report.html, summary.json, CSVs) and engine.io.satcat.

The page must load nothing from outside the file (no URL, no script, no stylesheet link)
and every figure in it must decode as a PNG image.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="engine.report's figures need matplotlib")

from engine import exposure as X  # noqa: E402
from engine import report  # noqa: E402
from engine._orbits import RE_KM  # noqa: E402
from engine.io import BadRecordsWarning  # noqa: E402
from engine.io.satcat import SatcatError, load_satcat  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SATCAT = DATA / "cosmos1408_satcat_2025-12.csv"

_SATCAT_TEXT = """OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,LAUNCH_SITE,DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,ORBIT_CENTER,ORBIT_TYPE
PARENT,1982-092A,13552,PAY,D,CIS,1982-09-16,PLMSC,2024-10-27,87.40,82.53,150,141,7.4965,,EA,IMP
DEB A,1982-092C,49516,DEB,,CIS,1982-09-16,PLMSC,2021-12-20,92.0,82.5,400,380,,,EA,IMP
DEB B,1982-092D,49517,DEB,,CIS,1982-09-16,PLMSC,2022-01-10,92.0,82.5,400,380,0.01,,EA,IMP
DEB C,1982-092E,49518,DEB,,CIS,1982-09-16,PLMSC,2022-02-01,92.0,82.5,400,380,,,EA,IMP
DEB D,1982-092F,49519,DEB,,CIS,1982-09-16,PLMSC,,95.0,82.5,600,500,,,EA,ORB
OLD,1982-092Z,13554,DEB,,CIS,1982-09-16,PLMSC,1990-01-01,90.0,82.5,300,200,,,EA,IMP
"""


class _Refs(HTMLParser):
    """Every tag, and every attribute that can load something."""

    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.styles = [], [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "action", "background", "xlink:href") or k == "style":
                self.refs.append((tag, k, v or ""))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _ensemble(members=3, days=40):
    out = []
    for seed in range(members):
        rng = np.random.default_rng(seed)
        n = 200
        hp0, ha0 = rng.uniform(300, 480, n), rng.uniform(480, 900, n)
        rate = rng.uniform(1.0, 6.0, n)
        t = np.arange(0.0, days + 1e-9)
        hp = hp0[None, :] - rate[None, :] * t[:, None]
        ha = np.maximum(ha0[None, :] - 3 * rate[None, :] * t[:, None], hp)
        a = RE_KM + 0.5 * (hp + ha)
        inc = np.broadcast_to(np.radians(rng.normal(82.6, 0.5, n)), a.shape)
        times = np.datetime64("2021-11-15T02:48", "us") + (t * 86400e6).astype("timedelta64[us]")
        out.append(X.CloudHistory(times, a, (ha - hp) / (2 * a), inc, hp > 200.0, 10 ** rng.uniform(-2.2, -0.3, n),
                                  label=f"seed {seed}"))
    tg = X.Targets(["ISS (ZARYA)", "SSO 550"], [RE_KM + 420.0, RE_KM + 550.0], [0.0005, 0.001],
                   np.radians([51.64, 97.5]), [1000.0, 10.0])
    return X.ensemble(out, tg), out


def test_report_html_is_self_contained_and_every_figure_decodes(tmp_path):
    import matplotlib.image as mpimg

    ens, hists = _ensemble()
    blocks, summary, csvs = report.risk_blocks(ens, background_per_orbit=2e-5,
                                               background_text="NASA's ISS penetration risk per orbit before the "
                                                               "event (Gatens, 18 Jan 2022).")
    counts = np.stack([h.alive.sum(axis=1) for h in hists]).astype(float)
    band = {"median": np.median(counts, 0), "p05": np.percentile(counts, 5, 0), "p95": np.percentile(counts, 95, 0)}
    blocks.append(report.on_orbit_block(hists[0].times, band, satcat=load_satcat(_SATCAT_TEXT)))
    paths = report.write(tmp_path / "out", title="Cosmos 1408 <test> & risk", intro="What was simulated.\n\nWhy.",
                         assumptions=[("parent mass", "1,750 kg", "McDowell; 2,200 kg in other sources")],
                         blocks=blocks, summary=summary, csvs=csvs)
    page = Path(paths["report.html"]).read_text(encoding="utf-8")
    p = _Refs()
    p.feed(page)
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert not any("url(" in s or "@import" in s for s in p.styles)
    imgs = [v for tag, k, v in p.refs if tag == "img" and k == "src"]
    assert len(imgs) == 3 and len(p.refs) == 3, p.refs
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        img = mpimg.imread(io.BytesIO(png), format="png")
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    # outside the images' data, no address of any kind
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).lower()
    assert not re.search(r"(https?|ftp|file):|//|\\bwww\\.", text), re.search(r".{40}(https?:|//).{40}", text)
    assert "Cosmos 1408 &lt;test&gt; &amp; risk" in page                 # text is escaped
    assert page.count("What to conclude:") == 3 and "Figure 3. Fragments in orbit." in page
    # summary.json: strict JSON with the headline figures
    s = json.loads(Path(paths["summary.json"]).read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert s["target"] == "ISS (ZARYA)" and s["members"] == 3 and len(s["classes"]) == 2
    assert s["ranking"][0]["target"] in ("ISS (ZARYA)", "SSO 550")
    assert math.isclose(sum(r["share"] for r in s["ranking"]), 1.0, rel_tol=1e-12)
    # the CSV holds every band per sample time
    with open(paths["risk_over_time.csv"], newline="") as f:
        rows = list(csv.reader(f))
    t = len(ens.times)
    assert rows[0][:5] == ["time_utc", "days", "target", "lc_min_m", "quantity"]
    assert len(rows) - 1 == 2 * 2 * (3 + 2) * t


def test_on_orbit_caption_gives_both_half_lives():
    """Simulated counts 100 -> 0 linearly over 100 days halve at day 50. The SATCAT rows above
    hold 5 objects in orbit at the event (the parent among them; decays on days 35, 56 and 78):
    they fall through 2.5 between day 77 (3 left) and day 78 (2 left), at 77.5 days by the
    daily samples' linear interpolation, shown as 78."""
    times = np.datetime64("2021-11-15", "us") + (np.arange(101) * 86400e6).astype("timedelta64[us]")
    fig = report.on_orbit_block(times, 100.0 - np.arange(101.0), satcat=load_satcat(_SATCAT_TEXT))
    assert "halves after 50 days" in fig.conclude and "catalogued ones after 78 days" in fig.conclude
    assert "(5 in orbit at the start)" in fig.shows


def test_write_rejects_bad_blocks_before_writing(tmp_path):
    with pytest.raises(ValueError, match="bytes of a PNG"):
        report.write(tmp_path, title="t", blocks=[report.Figure("f", b"GIF89a", "shows", "conclude")])
    with pytest.raises(ValueError, match="every row needs 2 values"):
        report.write(tmp_path, title="t", blocks=[report.Table("t", ["a", "b"], [[1]])])
    with pytest.raises(ValueError, match="plain file name"):
        report.write(tmp_path, title="t", csvs={"../x.csv": (["a"], [])})
    with pytest.raises(TypeError, match=r"blocks\[0\]"):
        report.write(tmp_path, title="t", blocks=["text"])
    assert not list(tmp_path.iterdir())
    ens, _ = _ensemble(members=1, days=10)
    with pytest.raises(ValueError, match="background_text"):
        report.risk_blocks(ens, background_per_orbit=2e-5)


def test_satcat_reports_bad_rows_and_keeps_the_rest():
    text = _SATCAT_TEXT.replace("2022-01-10", "10 Jan 2022").replace(",0.01,", ",big,")
    with pytest.raises(SatcatError, match="DECAY_DATE") as err:
        load_satcat(text)
    assert [(b.record, b.field) for b in err.value.bad] == [(3, "DECAY_DATE"), (3, "RCS")]
    with pytest.warns(BadRecordsWarning, match="skipped 1 bad SATCAT record"):
        sc = load_satcat(text, errors="skip")
    assert len(sc) == 5 and 49517 not in sc.norad and len(sc.rejected) == 2
    with pytest.raises(SatcatError, match="column missing"):
        load_satcat("OBJECT_NAME,NORAD_CAT_ID\nX,1\n")


@pytest.mark.skipif(not SATCAT.exists(), reason="shared reference data (cosmos1408_satcat_2025-12.csv) absent")
def test_satcat_reads_the_real_cosmos_1408_rows():
    sc = load_satcat(SATCAT)
    assert len(sc) == 105 and sc.norad[0] == 13552
    assert sc.decay_date[0] == np.datetime64("2024-10-27") and math.isclose(sc.rcs_m2[0], 7.4965)
    # every row is in orbit the day after the test (the catalogue lists nothing decayed before it)
    n = sc.on_orbit(np.array(["2021-11-16"], dtype="datetime64[D]"), since="2021-11-15")
    assert n[0] == 105 == int(np.sum(np.isnat(sc.decay_date) | (sc.decay_date >= np.datetime64("2021-11-16"))))
