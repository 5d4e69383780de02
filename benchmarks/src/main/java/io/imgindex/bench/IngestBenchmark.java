package io.imgindex.bench;

import io.imgindex.cli.IndexCommand;
import io.imgindex.flags.Flags;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.decode.ImageDecoder;
import io.imgindex.imaging.embed.Devices;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.SharedModels;
import io.imgindex.imaging.fetch.FetchResult;
import io.imgindex.imaging.fetch.ImageFetcher;
import io.imgindex.job.IndexJob;
import io.imgindex.job.IndexJobConfig;
import io.imgindex.job.IndexOptions;
import io.imgindex.job.JobModel;
import io.imgindex.testing.TestHttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * The BATCH job against its own stages, in one run: the whole job over {@code N} loopback URLs (the sample JPEGs,
 * each served under many URLs with distinct trailing bytes so that every URL is distinct bytes to fetch, decode
 * and embed), against fetch-and-decode alone (the job's fetcher and decoder, as many decoding threads as the job
 * has subtasks, the job's fetches in flight) and the embedding alone (the job's shared model and batcher on
 * pre-decoded pixels). Pipelined, the whole job takes about as long as the slower stage; run one stage after the
 * other, as long as both together. Also: the bytes the process wrote besides the index (shuffle and sort spills,
 * logs; from {@code /proc/self/io}), per image, against the encoded images' size.
 *
 * <p>{@code benchmarks/run IngestBenchmark [URLS] [PARALLELISM] [MODEL] [THUMBNAIL_SIZE]}: 3000 URLs, parallelism 2,
 * the default model and the job's default thumbnails (160 px; 0 for none) by default.
 */
public final class IngestBenchmark {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int parallelism = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String modelId = args.length > 2 ? args[2] : ModelCatalog.DEFAULT;
        String thumbnailSize = args.length > 3
                ? args[3]
                : IndexOptions.THUMBNAIL_SIZE.defaultValue().toString();
        List<byte[]> photos = new ArrayList<>();
        try (Stream<Path> list = Files.list(Paths.get("sample-data", "images"))) {
            // JPEGs only: a decoder ignores bytes after a JPEG's end marker, not after every format's end.
            for (Path p : list.sorted()
                    .filter(p ->
                            p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpg"))
                    .toList()) {
                photos.add(Files.readAllBytes(p));
            }
        }
        Path work = Files.createTempDirectory("imgindex-ingest-");
        long encodedBytes = 0;
        try (TestHttpServer server = new TestHttpServer()) {
            List<String> urls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] photo = photos.get(i % photos.size());
                // Bytes after the JPEG's end marker: decoders ignore them, the SHA-256 does not.
                byte[] tail = ("imgindex-ingest-" + i).getBytes(StandardCharsets.US_ASCII);
                byte[] body = new byte[photo.length + tail.length];
                System.arraycopy(photo, 0, body, 0, photo.length);
                System.arraycopy(tail, 0, body, photo.length, tail.length);
                encodedBytes += body.length;
                String path = "/img/" + i + ".jpg";
                server.bytes(path, body, "image/jpeg");
                urls.add(server.url(path));
            }
            Path list = work.resolve("urls.txt");
            Files.write(list, urls);
            Flags.Parsed flags = Flags.parse(
                    new String[] {
                        "--model",
                        modelId,
                        "--input",
                        list.toString(),
                        "--output",
                        work.resolve("out").toString(),
                        "--name",
                        "ingest",
                        "--parallelism",
                        Integer.toString(parallelism),
                        "--allow-network",
                        "127.0.0.1/32",
                        "--thumbnail.size",
                        thumbnailSize
                    },
                    IndexOptions.ALL);
            IndexJobConfig config = IndexJobConfig.from(flags.options());
            JobModel resolved = config.resolveModel();
            Machine.print(String.format(
                    "ingest benchmark: %,d loopback URLs (%d sample photos, %.1f KiB each on average), model %s,"
                            + " parallelism %d, embedding batch %d, thumbnails %s px",
                    n,
                    photos.size(),
                    encodedBytes / 1024.0 / n,
                    resolved.card().id(),
                    parallelism,
                    resolved.embed().batchSize(),
                    thumbnailSize));

            double fetchDecode = fetchAndDecode(config, resolved, urls, parallelism);
            System.out.printf("fetch and decode alone: %.1f s (%.1f images/s)%n", fetchDecode, n / fetchDecode);
            double embed = embedAlone(resolved, photos, n);
            System.out.printf("embedding alone:        %.1f s (%.1f images/s)%n", embed, n / embed);

            long[] ioBefore = procIo();
            long t = System.nanoTime();
            IndexJob.Result result = IndexCommand.run(config, flags.flinkConf());
            double whole = (System.nanoTime() - t) / 1e9;
            long[] ioAfter = procIo();
            long indexBytes = folderBytes(work.resolve("out"));
            System.out.printf(
                    "whole job:              %.1f s (%.1f images/s): %s%n",
                    whole, n / whole, result.manifest().counts().summary());
            double slower = Math.max(fetchDecode, embed);
            System.out.printf(
                    "whole / slower stage = %.2f (stages one after the other would be %.2f)%n",
                    whole / slower, (fetchDecode + embed) / slower);
            if (ioBefore != null && ioAfter != null) {
                long written = ioAfter[0] - ioBefore[0];
                long stored = ioAfter[1] - ioBefore[1];
                System.out.printf(
                        "written by the process during the job besides the index (%,d bytes): %,d bytes by write"
                                + " calls, %,d bytes to storage: %.1f KiB and %.1f KiB per image, against %.1f KiB"
                                + " per encoded image%n",
                        indexBytes,
                        written - indexBytes,
                        Math.max(0, stored - indexBytes),
                        (written - indexBytes) / 1024.0 / n,
                        Math.max(0, stored - indexBytes) / 1024.0 / n,
                        encodedBytes / 1024.0 / n);
            }
        } finally {
            deleteTree(work);
        }
    }

    /** The job's fetcher and decoder, {@code threads} decoding, the job's fetches in flight per task. */
    static double fetchAndDecode(IndexJobConfig config, JobModel model, List<String> urls, int threads)
            throws Exception {
        ExecutorService decoders = Executors.newFixedThreadPool(threads);
        List<ImageFetcher> fetchers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            fetchers.add(new ImageFetcher(config.fetch()));
        }
        Semaphore inFlight = new Semaphore(config.fetchInFlight() * threads);
        List<CompletableFuture<Boolean>> all = new ArrayList<>();
        long t = System.nanoTime();
        try {
            ThreadLocal<ImageDecoder> decoder = ThreadLocal.withInitial(() -> new ImageDecoder(model.decode()));
            for (int i = 0; i < urls.size(); i++) {
                inFlight.acquire();
                CompletableFuture<FetchResult> fetched =
                        fetchers.get(i % threads).fetch(urls.get(i));
                all.add(fetched.thenApplyAsync(
                                r -> {
                                    if (!r.isOk()) {
                                        throw new IllegalStateException(r.message());
                                    }
                                    DecodedImage d = decoder.get().decode(r.content());
                                    return d.isOk();
                                },
                                decoders)
                        .whenComplete((ok, e) -> inFlight.release()));
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
            long bad = all.stream().filter(f -> !f.join()).count();
            if (bad > 0) {
                throw new IllegalStateException(bad + " images did not decode");
            }
            return (System.nanoTime() - t) / 1e9;
        } finally {
            fetchers.forEach(ImageFetcher::close);
            decoders.shutdownNow();
        }
    }

    /** The job's shared model and batcher over pre-decoded pixels, the async operator's capacity in flight. */
    static double embedAlone(JobModel model, List<byte[]> photos, int n) throws Exception {
        ImageDecoder decoder = new ImageDecoder(model.decode());
        List<byte[]> pixels = new ArrayList<>();
        for (byte[] p : photos) {
            pixels.add(decoder.decode(p).pixels());
        }
        try (SharedModels.Lease lease = SharedModels.acquire(model.embed(), Devices.cpu("the benchmark"))) {
            int capacity = Math.max(2, model.embed().batchSize() * 4);
            Semaphore inFlight = new Semaphore(capacity);
            List<CompletableFuture<float[]>> all = new ArrayList<>();
            long t = System.nanoTime();
            for (int i = 0; i < n; i++) {
                inFlight.acquire();
                CompletableFuture<float[]> f = lease.batcher().submit(pixels.get(i % pixels.size()));
                f.whenComplete((v, e) -> inFlight.release());
                all.add(f);
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
            return (System.nanoTime() - t) / 1e9;
        }
    }

    /** {@code wchar} and {@code write_bytes} of this process, or null where there is no {@code /proc}. */
    static long[] procIo() {
        try {
            long wchar = -1;
            long writeBytes = -1;
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("wchar:")) {
                    wchar = Long.parseLong(line.substring(6).strip());
                } else if (line.startsWith("write_bytes:")) {
                    writeBytes = Long.parseLong(line.substring(12).strip());
                }
            }
            return wchar < 0 ? null : new long[] {wchar, writeBytes};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static long folderBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private IngestBenchmark() {}
}
