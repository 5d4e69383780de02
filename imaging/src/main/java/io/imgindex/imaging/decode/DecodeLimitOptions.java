package io.imgindex.imaging.decode;

import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.flags.Settings;
import java.time.Duration;
import java.util.List;

/**
 * The decode limits as options, the same for the job ({@code imgindex index}) and the server's image search
 * ({@code imgindex serve}), so that an image the job refuses is refused by the server with the same reason.
 */
public final class DecodeLimitOptions {

    private DecodeLimitOptions() {}

    public static final Option<Long> MAX_PIXELS = Options.key("decode.max-pixels")
            .longType()
            .defaultValue(DecodeOptions.DEFAULT_MAX_PIXELS)
            .withDescription(
                    "Largest width x height accepted, checked from the header before decoding" + " (TOO_MANY_PIXELS).");

    public static final Option<Integer> MAX_SIDE = Options.key("decode.max-side")
            .intType()
            .defaultValue(DecodeOptions.Limits.DEFAULT_MAX_SIDE)
            .withDescription("Longest width or height accepted, from the header (BAD_DIMENSIONS).");

    public static final Option<Double> MAX_ASPECT_RATIO = Options.key("decode.max-aspect-ratio")
            .doubleType()
            .defaultValue(DecodeOptions.Limits.DEFAULT_MAX_ASPECT_RATIO)
            .withDescription("Largest ratio of the long side to the short side, from the header"
                    + " (BAD_DIMENSIONS): a 1 x 50,000,000 PNG is a few KB on the wire.");

    public static final Option<Integer> MAX_SCANS = Options.key("decode.max-scans")
            .intType()
            .defaultValue(DecodeOptions.Limits.DEFAULT_MAX_SCANS)
            .withDescription("Most scans a progressive JPEG may have (TOO_MANY_SCANS); a large image gets fewer, so"
                    + " that its scans add up to at most 20 full-resolution passes at --decode.max-pixels.");

    public static final Option<Duration> TIMEOUT = Options.key("decode.timeout")
            .durationType()
            .defaultValue(DecodeOptions.Limits.DEFAULT_TIMEOUT)
            .withDescription("Longest a decode may take; it is stopped then (DECODE_TIMEOUT).");

    public static final List<Option<?>> ALL = List.of(MAX_PIXELS, MAX_SIDE, MAX_ASPECT_RATIO, MAX_SCANS, TIMEOUT);

    /** The limits a configuration gives; throws {@link IllegalArgumentException} naming a bad value. */
    public static DecodeOptions.Limits limits(Settings c) {
        return new DecodeOptions.Limits(
                c.get(MAX_PIXELS), c.get(MAX_SIDE), c.get(MAX_ASPECT_RATIO), c.get(MAX_SCANS), c.get(TIMEOUT));
    }
}
