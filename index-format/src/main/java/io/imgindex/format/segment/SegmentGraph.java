package io.imgindex.format.segment;

import io.github.jbellis.jvector.graph.disk.OnDiskGraphIndex;
import io.github.jbellis.jvector.graph.disk.feature.FeatureId;
import io.github.jbellis.jvector.graph.disk.feature.SeparatedVectors;
import io.github.jbellis.jvector.quantization.PQVectors;
import io.imgindex.format.IndexFormatException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A segment's graph file opened for search: the JVector graph mapped (its upper layers on the heap, the base
 * layer in the page cache), the full vectors mapped as one contiguous block, and the PQ codes, if any, on the heap.
 *
 * @param graph the on-disk graph; node {@code i} is row {@code i}
 * @param vectors the full-precision vectors, mapped
 * @param pq the compressed vectors the graph walk scores, or null when it scores full vectors
 */
public record SegmentGraph(OnDiskGraphIndex graph, MappedFloats vectors, PQVectors pq) {

    /**
     * Opens a segment's files, already verified against the manifest.
     *
     * @param pqFile the PQ file, or null
     * @param rows the rows the manifest lists for the segment
     * @throws IndexFormatException when the graph does not match: another node count or dimension, no vectors
     */
    public static SegmentGraph open(Path graphFile, Path pqFile, long rows, int dimension) throws IOException {
        OnDiskGraphIndex graph;
        try {
            graph = OnDiskGraphIndex.load(new MappedReaderSupplier(graphFile));
        } catch (RuntimeException e) {
            throw new IndexFormatException(graphFile + " is not a JVector graph: " + e.getMessage(), e);
        }
        if (graph.size(0) != rows || graph.getDimension() != dimension) {
            throw new IndexFormatException(graphFile + " has " + graph.size(0) + " nodes of " + graph.getDimension()
                    + " dimensions; the manifest lists " + rows + " rows of " + dimension);
        }
        if (!(graph.getFeatures().get(FeatureId.SEPARATED_VECTORS) instanceof SeparatedVectors separated)) {
            throw new IndexFormatException(graphFile + " holds no separated vectors: "
                    + graph.getFeatures().keySet());
        }
        MappedFloats vectors =
                MappedFloats.map(graphFile, separated.getOffset(), rows, dimension, ByteOrder.BIG_ENDIAN);
        PQVectors pq = null;
        if (pqFile != null) {
            MappedReaderSupplier pqs = new MappedReaderSupplier(pqFile);
            try (var reader = pqs.get()) {
                pq = PQVectors.load(reader);
            } catch (RuntimeException e) {
                throw new IndexFormatException(pqFile + " is not a PQ file: " + e.getMessage(), e);
            }
            if (pq.count() != rows) {
                throw new IndexFormatException(pqFile + " has " + pq.count() + " codes for " + rows + " rows");
            }
        }
        return new SegmentGraph(graph, vectors, pq);
    }
}
