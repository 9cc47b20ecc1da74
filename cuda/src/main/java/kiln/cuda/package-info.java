/** NVIDIA GPUs through JCuda's driver API: device discovery, tensor placement, the planner, PTX kernels. */
package kiln.cuda;
