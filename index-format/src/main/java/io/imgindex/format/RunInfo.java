package io.imgindex.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * How a generation was made, for people reading the manifest later.
 *
 * @param mode {@code BATCH} or {@code STREAMING}
 * @param inputs the input paths or URIs as given
 * @param startedAt when the run started (ISO-8601)
 * @param committedAt when the manifest was written (ISO-8601)
 * @param options the non-default job options, as {@code key=value} strings
 * @param stream STREAMING only: the stream run whose commit this is (its files are under
 *     {@code streams/<stream>/}); null in BATCH
 * @param checkpoint STREAMING only: the Flink checkpoint whose completion committed this generation
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunInfo(
        String mode,
        List<String> inputs,
        String startedAt,
        String committedAt,
        List<String> options,
        String stream,
        Long checkpoint) {

    public RunInfo {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        options = options == null ? List.of() : List.copyOf(options);
    }

    /** A BATCH run. */
    public RunInfo(String mode, List<String> inputs, String startedAt, String committedAt, List<String> options) {
        this(mode, inputs, startedAt, committedAt, options, null, null);
    }
}
