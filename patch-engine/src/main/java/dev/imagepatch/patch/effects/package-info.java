/**
 * Post-install effects that serve any distribution's images (a glibc {@code ld.so.cache}, Python
 * byte-code) and the readers they need. Not API: public only for the families in this module.
 */
package dev.imagepatch.patch.effects;
