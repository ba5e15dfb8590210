"""One module per screen; base.py has the Scene base and the SceneManager."""
