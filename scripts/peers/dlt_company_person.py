"""Company Person Sync written as a dlt pipeline: the peer `npm run bench -- --peer dlt` runs beside
Syncline on the same PX simulator data.

It does the job of Syncline's Company Person Sync as closely as dlt allows:
- reads PX users as the PX connector does: scroll paging, 1,000 a page, the window
  `lastModifiedDate>=from;lastModifiedDate<to` pushed down as PX's `filter` (from: dlt's incremental
  state, 0 on the first run; to: now, fixed at start), with dlt's requests helper (it retries);
- drops users without an email (Syncline's locked filter), counting them;
- looks each user's accountId up among the companies Company Sync wrote (read from Syncline's
  database with dlt's sql_table source), keeping company_id; a user whose account matches no
  company, or several, is a failure with a reason, stored in a table of its own;
- merges person by lower(email) and company_person by (lower(email), company_id), the later
  source record winning (`dedup_sort` on the record's read position), into a database of its own;
- on dlt's documented fastest path to PostgreSQL (its postgres destination page, "Fast loading
  with Arrow tables and CSV"; its merge loading page; "Optimizing dlt"): pages as pyarrow tables,
  the `csv` loader file format (loaded with COPY), the `merge` write disposition (delete-insert),
  answers parsed with orjson, and the files between the steps uncompressed.

Configuration comes from the environment (PEER_PX_URL, PEER_PX_KEY, PEER_COMPANIES_URL,
PEER_DATABASE_URL, PEER_PIPELINES_DIR). The last line printed is `PEER_RESULT <json>`: the time
and CPU of each step and what was read, filtered and failed.
"""

import json
import os
import resource
import sys
import time
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import urlsplit, urlunsplit

# dlt reads its settings from the environment when a pipeline is configured. It reports anonymous
# usage to dltHub unless told not to: a benchmark sends nothing anywhere. It gzips the files it
# writes between its steps unless told not to: for a database on the same machine that is only
# work (at 100,000 users it was 1.5 of the pipeline's 4 CPU seconds).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")

# The imports below come after those settings (E402).
import dlt  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from dlt.common import json as fast_json  # noqa: E402  orjson, as dlt's performance guide advises
from dlt.sources.helpers import requests as http  # noqa: E402  retries 429s, 5xx, lost connections
from dlt.sources.sql_database import sql_table  # noqa: E402

PAGE_SIZE = 1000
"""The PX connector's page size (PX serves at most 1,000 records a page)."""

USER_FIELDS = pa.schema(
    [
        ("identifyId", pa.string()),
        ("email", pa.string()),
        ("firstName", pa.string()),
        ("lastName", pa.string()),
        ("signUpDate", pa.int64()),
        ("accountId", pa.string()),
        ("lastModifiedDate", pa.int64()),
    ]
)
"""What Company Person Sync maps from a PX user, and the window's field."""

PERSON = pa.schema(
    [
        pa.field("email_key", pa.string(), nullable=False),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("_position", pa.int64()),
    ]
)
COMPANY_PERSON = pa.schema(
    [
        pa.field("email_key", pa.string(), nullable=False),
        pa.field("company_id", pa.string(), nullable=False),
        ("px_account_id", pa.string()),
        ("sign_up_date", pa.timestamp("ms", tz="UTC")),
        ("px_user_id", pa.string()),
        ("_position", pa.int64()),
    ]
)
"""The merged tables; a primary key's columns are never null (dlt would say so for every page)."""


def need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set")
    return value


def with_password(url: str) -> str:
    """dlt's postgres credentials insist on a password. The bench's URLs carry none (PostgreSQL
    trusts loopback here), and with trust auth the server never asks for one, so a placeholder
    fills the field and goes unread."""
    parts = urlsplit(url)
    if parts.password is not None or parts.username is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:unused@{host}"))


def sqlalchemy_url(url: str) -> str:
    """The URL with the driver dlt's postgres extra installs (psycopg2) named, as SQLAlchemy wants it:
    it knows no `postgres://`, and for `postgresql://` it picks psycopg 3 (2.1 onwards)."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme) :]
    return url


def px_user_pages(px_url: str, px_key: str, window: str) -> Iterator[List[Dict[str, Any]]]:
    """PX's scroll paging as the PX connector does it: the scrollId of each answer asks for the next
    page, and a page shorter than asked for is the last (PX sends a scrollId with it all the same).
    Each answer is parsed once, with orjson (dlt's JSON): dlt's REST client parses it with
    simplejson, and a cursor paginator a second time: over a third of the extract's CPU."""
    headers = {"X-APTRINSIC-API-KEY": px_key, "Accept": "application/json"}
    scroll_id: Optional[str] = None
    while True:
        params = {"pageSize": PAGE_SIZE, "filter": window}
        if scroll_id is not None:
            params["scrollId"] = scroll_id
        body = fast_json.loadb(http.get(f"{px_url}/users", params=params, headers=headers).content)
        records = body["users"]
        yield records
        scroll_id = body.get("scrollId") or None
        if len(records) < PAGE_SIZE or scroll_id is None:
            return


def company_lookup(companies_url: str) -> pa.Table:
    """accountId → company_id (the GSID of the company whose px_account_id it is) and how many
    companies carry that account id, from the companies Company Sync wrote."""
    company = sql_table(
        credentials=sqlalchemy_url(companies_url),
        table="company",
        backend="pyarrow",
        included_columns=["gsid", "px_account_id"],
    )
    companies = pa.concat_tables(list(company))
    companies = companies.filter(pc.is_valid(companies["px_account_id"]))
    per_account = companies.group_by("px_account_id").aggregate([("gsid", "min"), ("gsid", "count")])
    return pa.table(
        {
            "accountId": per_account["px_account_id"],
            "company_id": per_account["gsid_min"],
            "matches": per_account["gsid_count"],
        }
    )


def concat(*parts: Any) -> pa.ChunkedArray:
    """Text columns and literals joined row by row; null where a column is null."""
    return pc.binary_join_element_wise(*parts, "")


def lookup_failures(failed: pa.Table) -> pa.ChunkedArray:
    """Syncline's reasons, word for word, for a user whose account matches no company or several."""
    matches = pc.fill_null(failed["matches"], 0)
    account = pc.fill_null(concat('"', failed["accountId"], '"'), "an empty value")
    match = concat("px_account_id = ", account, " (from accountId)")
    return pc.if_else(
        pc.equal(matches, 0),
        concat("lookup for company_id: no company record matches ", match),
        concat(
            "lookup for company_id: ",
            pc.cast(matches, pa.string()),
            " company records match ",
            match,
            "; make the match fields unique or allow any match",
        ),
    )


@dlt.source(name="px")
def company_person_sync(px_url: str, px_key: str, lookup: pa.Table, to_ms: int, stats: Dict[str, int]) -> Any:
    @dlt.resource(selected=False)
    def users(
        modified: dlt.sources.incremental[int] = dlt.sources.incremental("lastModifiedDate", initial_value=0),
    ) -> Iterator[pa.Table]:
        # The window as Import Now reads it: from the last run's watermark (dlt's incremental
        # state, kept in the destination) to now.
        window = f"lastModifiedDate>={modified.start_value};lastModifiedDate<{to_ms}"
        position = 0
        for page in px_user_pages(px_url, px_key, window):
            table = pa.Table.from_pylist(page, schema=USER_FIELDS)
            # The read position decides which of two records of one key wins, as in Syncline.
            positions = pa.array(range(position, position + len(page)), pa.int64())
            table = table.append_column("_position", positions)
            position += len(page)
            stats["fetched"] += len(page)
            yield table

    @dlt.transformer(data_from=users)
    def placed(page: pa.Table) -> Iterator[Any]:
        has_email = pc.fill_null(pc.not_equal(page["email"], ""), False)
        with_email = page.filter(has_email)
        stats["filtered"] += page.num_rows - with_email.num_rows
        joined = with_email.join(lookup, keys="accountId", join_type="left outer")
        one = pc.equal(pc.fill_null(joined["matches"], 0), 1)
        failed = joined.filter(pc.invert(one))
        if failed.num_rows > 0:
            stats["failed"] += failed.num_rows
            yield dlt.mark.with_hints(
                pa.table(
                    {
                        "px_user_id": failed["identifyId"],
                        "email": failed["email"],
                        "account_id": failed["accountId"],
                        "reason": lookup_failures(failed),
                    }
                ),
                dlt.mark.make_hints(table_name="failed_users", write_disposition="append"),
                create_table_variant=True,
            )
        ok = joined.filter(one)
        email_key = pc.utf8_lower(ok["email"])
        yield dlt.mark.with_hints(
            pa.Table.from_arrays(
                [email_key, ok["email"], ok["firstName"], ok["lastName"], ok["_position"]],
                schema=PERSON,
            ),
            dlt.mark.make_hints(
                table_name="person",
                write_disposition="merge",
                primary_key="email_key",
                columns={"_position": {"dedup_sort": "desc"}},
            ),
            create_table_variant=True,
        )
        yield dlt.mark.with_hints(
            pa.Table.from_arrays(
                [
                    email_key,
                    ok["company_id"],
                    ok["accountId"],
                    pc.cast(ok["signUpDate"], pa.timestamp("ms", tz="UTC")),
                    ok["identifyId"],
                    ok["_position"],
                ],
                schema=COMPANY_PERSON,
            ),
            dlt.mark.make_hints(
                table_name="company_person",
                write_disposition="merge",
                primary_key=["email_key", "company_id"],
                columns={"_position": {"dedup_sort": "desc"}},
            ),
            create_table_variant=True,
        )

    return users, placed


def cpu_seconds() -> float:
    """This process and the processes it waited for (dlt's normalize pool, if it uses one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    px_url = need("PEER_PX_URL")
    pipeline = dlt.pipeline(
        pipeline_name="px_company_person",
        destination=dlt.destinations.postgres(credentials=with_password(need("PEER_DATABASE_URL"))),
        dataset_name="px",
        pipelines_dir=need("PEER_PIPELINES_DIR"),
    )
    # fetched, filtered and failed users; the pipeline's own counts (dlt counts rows per table).
    stats = {"fetched": 0, "filtered": 0, "failed": 0}
    steps: Dict[str, Dict[str, float]] = {}

    def timed(step: str, work: Any) -> Any:
        started, cpu = time.perf_counter(), cpu_seconds()
        result = work()
        steps[step] = {"ms": (time.perf_counter() - started) * 1000, "cpuSeconds": cpu_seconds() - cpu}
        return result

    # Import Now fixes `to` when the run starts; the companies are what Company Sync left.
    to_ms = int(time.time() * 1000)
    started, cpu = time.perf_counter(), cpu_seconds()
    lookup = timed("companies", lambda: company_lookup(need("PEER_COMPANIES_URL")))
    source = company_person_sync(px_url, need("PEER_PX_KEY"), lookup, to_ms, stats)
    timed("extract", lambda: pipeline.extract(source, loader_file_format="csv"))
    timed("normalize", lambda: pipeline.normalize())
    timed("load", lambda: pipeline.load(raise_on_failed_jobs=True))
    result = {
        "ms": (time.perf_counter() - started) * 1000,
        "cpuSeconds": cpu_seconds() - cpu,
        "steps": steps,
        # Account ids the lookup knows: one per company here.
        "companies": lookup.num_rows,
        **stats,
        # The largest resident set this process had (Linux counts it in KiB).
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dlt": dlt.__version__,
        "pyarrow": pa.__version__,
        "watermark": pipeline.state["sources"]["px"]["resources"]["users"]["incremental"]["lastModifiedDate"][
            "last_value"
        ],
    }
    print("PEER_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
