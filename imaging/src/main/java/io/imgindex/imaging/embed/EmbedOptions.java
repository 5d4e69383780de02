package io.imgindex.imaging.embed;

import java.io.Serializable;
import java.time.Duration;

/**
 * How embeddings are computed.
 *
 * @param modelDir the SavedModel folder with its card, or null for the built-in {@link ThumbnailModel}
 * @param card the model's card (read by the client, so the job knows the input size before any task starts)
 * @param batchSize the most images per model call
 * @param maxWait how long a batch waits for more images once its first one arrived
 * @param intraOpThreads TF threads inside one op (0: TF's choice)
 * @param interOpThreads TF threads across ops (0: TF's choice)
 * @param device {@value #AUTO} (the GPUs Flink assigns to the task manager as external resource {@code gpu},
 *     else the CPU), {@value #CPU}, or {@value #GPU} (every GPU TensorFlow sees, for runs outside a configured
 *     cluster)
 */
public record EmbedOptions(
        String modelDir,
        ModelCard card,
        int batchSize,
        Duration maxWait,
        int intraOpThreads,
        int interOpThreads,
        String device)
        implements Serializable {

    public static final String AUTO = "auto";
    public static final String CPU = "cpu";
    public static final String GPU = "gpu";

    private static final long serialVersionUID = 1L;

    public EmbedOptions {
        if (card == null) {
            throw new IllegalArgumentException("a model card is required");
        }
        device = device == null ? AUTO : device;
        check(batchSize, maxWait, intraOpThreads, interOpThreads, device);
    }

    /**
     * Checks the settings that do not depend on the model, before it is resolved.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void check(int batchSize, Duration maxWait, int intraOpThreads, int interOpThreads, String device) {
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("embedding batch size must be within 1..4096, was " + batchSize);
        }
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("embedding maximum wait must not be negative, was " + maxWait);
        }
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("TF thread counts must not be negative");
        }
        if (device != null && !device.equals(AUTO) && !device.equals(CPU) && !device.equals(GPU)) {
            throw new IllegalArgumentException("embedding device must be auto, cpu or gpu, was '" + device + "'");
        }
    }

    /** Whether this is the built-in model, exported on first use on each task manager. */
    public boolean builtIn() {
        return modelDir == null;
    }
}
