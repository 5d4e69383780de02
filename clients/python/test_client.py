"""The client against a running index server (started by index-server's PythonClientITCase, which sets
IMGINDEX_URL, IMGINDEX_INDEX_ROOT, IMGINDEX_NAME, IMGINDEX_ROWS, IMGINDEX_DIMENSION and IMGINDEX_IMAGE).

The index holds rows id-0 .. id-<rows-1>, row i with metadata colour = red if i % 5 == 0 else blue."""

import json
import os
import random
import tempfile
import unittest

from imgindex_client import Client, ImgIndexError, parquet_files

URL = os.environ["IMGINDEX_URL"]
ROWS = int(os.environ["IMGINDEX_ROWS"])
DIM = int(os.environ["IMGINDEX_DIMENSION"])


def random_vector(seed):
    r = random.Random(seed)
    return [r.uniform(-1, 1) for _ in range(DIM)]


class ClientTest(unittest.TestCase):

    def setUp(self):
        self.c = Client(URL)

    def ids(self, results):
        return [r["id"] for r in results]

    def test_what_is_served(self):
        info = self.c.index()
        self.assertEqual(info["vectors"], ROWS)
        self.assertEqual(info["model"]["dimension"], DIM)

    def test_pages_are_cuts_of_one_ranking(self):
        v = random_vector(1)
        ten = self.c.search(v, k=10, mode="exact")
        self.assertEqual(len(ten), 10)
        self.assertEqual(self.ids(self.c.search(v, k=5, offset=5, mode="exact")), self.ids(ten[5:]))
        scores = [r["score"] for r in ten]
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_a_batch_answers_as_single_searches_do(self):
        queries = [dict(vector=random_vector(s), k=4, mode="exact") for s in range(5)]
        answers = self.c.search_batch(queries)
        self.assertEqual(len(answers), 5)
        for q, a in zip(queries, answers):
            self.assertEqual(self.ids(a), self.ids(self.c.search(q["vector"], k=4, mode="exact")))

    def test_threshold_fields_and_filters(self):
        v = random_vector(2)
        top = self.c.search(v, k=20, mode="exact")
        threshold = top[9]["score"]
        above = self.c.search(v, k=20, mode="exact", score_threshold=threshold)
        self.assertTrue(all(r["score"] >= threshold for r in above))
        self.assertGreaterEqual(len(above), 10)
        with_vectors = self.c.search(v, k=2, fields=["vector"])
        self.assertEqual(len(with_vectors[0]["vector"]), DIM)
        self.assertNotIn("metadata", with_vectors[0])
        red = self.c.search(v, k=10, filter={"or": [{"colour": "red"}, {"not": {"colour": {"in": ["red", "blue"]}}}]})
        self.assertTrue(all(r["metadata"]["colour"] == "red" for r in red))

    def test_search_by_image_file_and_by_item(self):
        hits = self.c.search_image(os.environ["IMGINDEX_IMAGE"], k=3)
        self.assertEqual(len(hits), 3)
        similar = self.c.similar("id-7", k=3)
        self.assertEqual(len(similar), 3)
        self.assertNotIn("id-7", self.ids(similar))

    def test_items_by_id_in_the_order_asked(self):
        found, missing = self.c.items(["id-3", "no-such-id", "id-1"], vectors=True)
        self.assertEqual(self.ids(found), ["id-3", "id-1"])
        self.assertEqual(missing, ["no-such-id"])
        self.assertEqual(len(found[0]["vector"]), DIM)
        self.assertEqual(self.c.item("id-3")["metadata"]["colour"], "blue")

    def test_browsing_a_filter_yields_every_matching_item_once(self):
        seen = [item["id"] for item in self.c.browse(filter={"colour": "red"}, page_size=37)]
        expected = {"id-%d" % i for i in range(ROWS) if i % 5 == 0}
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(set(seen), expected)

    def test_errors_carry_the_status_and_the_servers_message(self):
        with self.assertRaises(ImgIndexError) as e:
            self.c.search([1.0, 2.0])
        self.assertEqual(e.exception.status, 400)
        self.assertIn("dimensions", e.exception.message)
        with self.assertRaises(ImgIndexError) as e:
            self.c.item("no-such-id")
        self.assertEqual(e.exception.status, 404)

    def test_the_manifest_lists_the_parquet_files(self):
        tables = parquet_files(os.environ["IMGINDEX_INDEX_ROOT"], os.environ["IMGINDEX_NAME"])
        self.assertTrue(tables["index"])
        for path in tables["index"]:
            self.assertTrue(path.endswith("rows.parquet"), path)
            self.assertTrue(os.path.isfile(path), path)
        with open(tables["index"][0], "rb") as f:
            self.assertEqual(f.read(4), b"PAR1")


class StreamedGenerationTest(unittest.TestCase):
    """A streamed generation's manifest names files outside its folder: the segments' rows under segments/ and the
    run's duplicates and failures under streams/<run>/ (the layout of index-format/README.md)."""

    def test_files_of_other_folders_are_resolved_from_the_index_root(self):
        with tempfile.TemporaryDirectory() as root:
            index = os.path.join(root, "photos")
            os.makedirs(os.path.join(index, "generation=7"))
            with open(os.path.join(index, "_LATEST"), "w", encoding="utf-8") as f:
                json.dump({"generation": 7, "manifest": "generation=7/_manifest.json"}, f)
            segment = "../segments/shard=1/20261207T230000Z-5e1f-s1-w0-4-2/"
            files = [
                {"path": segment + "rows.parquet", "table": "index", "kind": "rows", "segment": "s"},
                {"path": segment + "graph.jvg", "table": "index", "kind": "graph", "segment": "s"},
                {"path": segment + "thumbnails.bin", "table": "index", "kind": "thumbnails", "segment": "s"},
                {"path": "../streams/run-42/duplicates/part-0-ab12-3.parquet", "table": "duplicates"},
                {"path": "../streams/run-42/duplicates/part-0-ab12-3.thumbnails.bin", "table": "duplicates",
                 "kind": "thumbnails"},
                {"path": "../streams/run-42/failures/part-0-ab12-3.parquet", "table": "failures"},
            ]
            with open(os.path.join(index, "generation=7", "_manifest.json"), "w", encoding="utf-8") as f:
                json.dump({"generation": 7, "files": files}, f)

            tables = parquet_files(root, "photos")

            self.assertEqual(tables, {
                "index": [os.path.join(index, "segments", "shard=1", "20261207T230000Z-5e1f-s1-w0-4-2",
                                       "rows.parquet")],
                "duplicates": [os.path.join(index, "streams", "run-42", "duplicates", "part-0-ab12-3.parquet")],
                "failures": [os.path.join(index, "streams", "run-42", "failures", "part-0-ab12-3.parquet")],
            })
            self.assertEqual(parquet_files(root, "photos", generation=7), tables)


if __name__ == "__main__":
    unittest.main()
