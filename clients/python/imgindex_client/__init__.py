"""A small client of the imgindex index server's HTTP API (index-server/openapi.yaml), standard library only.

    from imgindex_client import Client
    c = Client("http://localhost:8080")
    hits = c.search_image("photo.jpg", k=5)                  # by image file
    page2 = c.search(vector, k=10, offset=10)                 # paging
    for item in c.browse(filter={"license": "CC0-1.0"}):      # every item passing a filter, page by page
        print(item["id"], item["url"])

`parquet_files` lists a generation's Parquet files from its manifest, for DuckDB or pyarrow.
"""

import json
import mimetypes
import os
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Client", "ImgIndexError", "parquet_files"]


class ImgIndexError(Exception):
    """An answer other than 2xx: its status and the server's message (`{"error": ...}`)."""

    def __init__(self, status, message):
        super().__init__("%d: %s" % (status, message))
        self.status = status
        self.message = message


class Client:
    """One index server or router. Thread-safe: every call is its own HTTP request."""

    def __init__(self, base_url, timeout=60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # Search -----------------------------------------------------------------------------------------------

    def search(self, vector, k=10, **options):
        """Search by vector. Options: offset, score_threshold, fields (list), filter (dict), mode, ef, exclude_id.

        Returns the results (dicts with id, url, score, shard and the fields asked for)."""
        body = dict(_options(options), vector=[float(x) for x in vector], k=k)
        return self._json("POST", "/v1/search", body)["results"]

    def search_batch(self, queries):
        """Several searches at once: each query a dict as `search` takes its arguments (vector, k, ...).

        Returns one result list per query, in order."""
        body = {"queries": [_options(q) for q in queries]}
        return [r["results"] for r in self._json("POST", "/v1/search/batch", body)["responses"]]

    def search_image(self, image, k=10, content_type=None, **options):
        """Search by image: a file path or the image's bytes, embedded by the server with the index's model."""
        if isinstance(image, (str, os.PathLike)):
            content_type = content_type or mimetypes.guess_type(str(image))[0]
            with open(image, "rb") as f:
                image = f.read()
        params = dict(_params(options), k=k)
        return self._request(
            "POST", "/v1/search/image?" + urllib.parse.urlencode(params), image,
            content_type or "image/jpeg")["results"]

    def search_url(self, url, k=10, **options):
        """Search by the image at a URL, fetched by the server under its address policy."""
        return self._json("POST", "/v1/search/image", dict(_options(options), url=url, k=k))["results"]

    def similar(self, item_id, k=10, **options):
        """Search with an indexed item's vector, the item itself left out."""
        params = dict(_params(options), k=k)
        return self._json("GET", "/v1/items/%s/similar?%s" % (_quote(item_id), urllib.parse.urlencode(params)))[
            "results"]

    def embed(self, image, content_type="image/jpeg"):
        """The vector of an image (bytes), when the server runs with --embed-endpoint."""
        return self._request("POST", "/v1/embed", image, content_type)["vector"]

    # Items ------------------------------------------------------------------------------------------------

    def item(self, item_id, vector=False):
        """An indexed item, or, for an id recorded as a duplicate, what it duplicates (`duplicate_of`)."""
        return self._json("GET", "/v1/items/%s%s" % (_quote(item_id), "?vector=true" if vector else ""))

    def items(self, ids, vectors=False):
        """Many items by id: (the items found, in the order asked; the ids not found)."""
        body = {"ids": list(ids)}
        if vectors:
            body["fields"] = ["vector"]
        answer = self._json("POST", "/v1/items", body)
        return answer["items"], answer["missing"]

    def browse(self, filter=None, page_size=100, fields=None):
        """Every indexed item passing `filter`, page by page (a generator). A switch of generation while
        browsing raises ImgIndexError with status 409: browse again."""
        cursor = None
        while True:
            params = {"limit": page_size}
            if filter is not None:
                params["filter"] = json.dumps(filter)
            if fields is not None:
                params["fields"] = ",".join(fields)
            if cursor is not None:
                params["cursor"] = cursor
            page = self._json("GET", "/v1/items?" + urllib.parse.urlencode(params))
            for item in page["items"]:
                yield item
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def index(self):
        """What is served: generation, model, shards, counts, metadata columns."""
        return self._json("GET", "/v1/index")

    # HTTP -------------------------------------------------------------------------------------------------

    def _json(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        return self._request(method, path, data, "application/json" if data is not None else None)

    def _request(self, method, path, data, content_type):
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                message = json.loads(text)["error"]
            except (ValueError, KeyError, TypeError):
                message = text
            raise ImgIndexError(e.code, message) from None


def _options(options):
    """A query's fields as the API names them (None values left out)."""
    return {k: v for k, v in options.items() if v is not None}


def _params(options):
    """The same as query parameters: lists comma-joined, filters as JSON text."""
    out = {}
    for k, v in _options(options).items():
        if k == "filter":
            out[k] = json.dumps(v)
        elif isinstance(v, (list, tuple)):
            out[k] = ",".join(v)
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = v
    return out


def _quote(item_id):
    return urllib.parse.quote(item_id, safe="")


def parquet_files(index_root, name, generation=None):
    """A generation's Parquet files by table, from its manifest, for DuckDB or pyarrow:

        {"index": [...rows.parquet], "duplicates": [...], "failures": [...]}

    `index_root` is the folder given to the job as --output; `generation` defaults to the one _LATEST names.
    A streamed or appended generation lists files of other folders (segments/, streams/); they are resolved
    here, so every path is absolute. Only the rows files of the index table are listed (not graphs)."""
    root = os.path.join(index_root, name)
    if generation is None:
        with open(os.path.join(root, "_LATEST"), encoding="utf-8") as f:
            manifest_path = os.path.join(root, json.load(f)["manifest"])
    else:
        manifest_path = os.path.join(root, "generation=%d" % generation, "_manifest.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    generation_dir = os.path.dirname(manifest_path)
    tables = {}
    for entry in manifest["files"]:
        if entry.get("kind", "rows") != "rows":
            continue
        path = os.path.normpath(os.path.join(generation_dir, entry["path"]))
        tables.setdefault(entry["table"], []).append(path)
    return tables
