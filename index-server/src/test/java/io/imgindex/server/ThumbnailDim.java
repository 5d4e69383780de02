package io.imgindex.server;

import io.imgindex.imaging.embed.ThumbnailModel;

/** The built-in model: tests index random vectors of its dimension so that image queries work too. */
final class ThumbnailDim {
    static final String MODEL = ThumbnailModel.ID;
    static final int DIM = ThumbnailModel.DIMENSION;

    private ThumbnailDim() {}
}
