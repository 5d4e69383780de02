package io.imgindex.job;

import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.embed.EmbedOptions;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.output.SegmentSettings;
import java.io.Serializable;

/**
 * The model a run embeds with, resolved from {@code --model} ({@link IndexJobConfig#resolveModel}): how the job's
 * functions embed, and how they decode for this model's input.
 *
 * @param embed the embedding settings, with the model's card and folder
 * @param decode the decoding the model's input asks for, within the run's limits
 * @param nearDup the near-duplicate step (its threshold from the flags or the card), null when off
 * @param nearDupNote what the near-duplicate step does, for the log and the run summary
 * @param segments how the writers build segments (the PQ default depends on the dimension)
 */
public record JobModel(
        EmbedOptions embed, DecodeOptions decode, NearDupParams nearDup, String nearDupNote, SegmentSettings segments)
        implements Serializable {

    public ModelCard card() {
        return embed.card();
    }
}
